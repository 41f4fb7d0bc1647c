/* Ticket pages: live deadline preview on intake, countdowns, print button, 12345 fields.
   Plain JavaScript, no libraries; every page works without it (server-rendered fallbacks). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // ------------------------------------------------------------ print button (receipt)
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // ------------------------------------------------------------ countdowns
  var labelsNode = document.getElementById("countdown-labels");
  var labels = labelsNode ? JSON.parse(labelsNode.textContent) : null;

  function fmt(template, value) { return template.replace("%s", value); }

  function duration(ms) {
    var minutes = Math.floor(ms / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var parts = [];
    if (days) parts.push(fmt(labels.days, days));
    if (hours || days) parts.push(fmt(labels.hours, hours));
    if (!days) parts.push(fmt(labels.minutes, minutes % 60));
    return parts.join(" ");
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (node) {
      var due = Date.parse(node.getAttribute("data-countdown"));
      if (isNaN(due)) return;
      if (!node.hasAttribute("title") && node.textContent.trim()) node.title = node.textContent.trim();
      var left = due - now;
      var text = left >= 0 ? fmt(labels.left, duration(left)) : fmt(labels.overdue, duration(-left));
      if (node.hasAttribute("data-paused")) text = labels.paused;
      node.textContent = text;
      node.classList.toggle("overdue", left < 0 && !node.hasAttribute("data-paused"));
    });
  }

  if (labels && document.querySelector("[data-countdown]")) {
    tick();
    window.setInterval(tick, 30000);
  }

  // ------------------------------------------------------------ intake: 12345 fields and the live preview
  var form = document.querySelector("form[data-preview-url]");
  if (!form) return;

  var channel = form.querySelector("[name=channel]");
  var hotline = form.querySelector("[data-hotline-fields]");
  function toggleHotline() {
    if (!hotline || !channel) return;
    var show = hotline.hasAttribute("data-always-visible") || channel.value === "city_hotline";
    hotline.hidden = !show;
  }
  if (channel) channel.addEventListener("change", toggleHotline);
  toggleHotline();

  var target = document.getElementById("deadline-preview");
  var pending = null;

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function render(milestones) {
    var table = document.createElement("table");
    table.className = "preview-table";
    var head = document.getElementById("preview-head");
    if (head) table.appendChild(head.content.querySelector("thead").cloneNode(true));
    var body = document.createElement("tbody");
    milestones.forEach(function (m) {
      var row = document.createElement("tr");
      row.dataset.code = m.code;
      cell(row, m.name);
      cell(row, m.promise);
      var due = cell(row, "");
      var time = document.createElement(m.due_at ? "time" : "span");
      if (m.due_at) time.setAttribute("datetime", m.due_at);
      time.textContent = m.due_display;
      due.appendChild(time);
      if (m.is_provisional) {
        var badge = document.createElement("span");
        badge.className = "badge provisional";
        badge.textContent = target.dataset.provisionalText;
        due.appendChild(document.createTextNode(" "));
        due.appendChild(badge);
      }
      body.appendChild(row);
    });
    table.appendChild(body);
    target.replaceChildren(table);
  }

  function message(text, isError) {
    var p = document.createElement("p");
    p.className = isError ? "errorlist" : "muted";
    p.textContent = text;
    target.replaceChildren(p);
  }

  function refresh() {
    var service = form.querySelector("[name=service_type]").value;
    if (!service) { message(target.dataset.emptyText, false); return; }
    var params = new URLSearchParams();
    params.set("service_type", service);
    ["customer", "received_at"].forEach(function (name) {
      var field = form.querySelector("[name=" + name + "]");
      if (field && field.value) params.set(name, field.value);
    });
    var safety = form.querySelector("[name=is_safety_or_supply]");
    if (safety && safety.checked) params.set("is_safety_or_supply", "on");
    var due = form.querySelector("[name=hotline_due_at]");
    if (channel && channel.value === "city_hotline" && due && due.value) params.set("hotline_due_at", due.value);
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(form.dataset.previewUrl + "?" + params.toString(), {
      headers: { "Accept": "application/json" }, credentials: "same-origin", signal: pending.signal,
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (result.ok) { render(result.data.milestones); return; }
      var errors = result.data.errors || {};
      var first = Object.keys(errors)[0];
      message(first ? errors[first].join(" ") : target.dataset.errorText, true);
    }).catch(function (error) {
      if (error.name !== "AbortError") message(target.dataset.errorText, true);
    });
  }

  ["service_type", "received_at", "is_safety_or_supply", "hotline_due_at", "channel"].forEach(function (name) {
    var field = form.querySelector("[name=" + name + "]");
    if (field) field.addEventListener("change", refresh);
  });
  if (form.querySelector("[name=service_type]").value && !target.querySelector("table")) refresh();
})();
