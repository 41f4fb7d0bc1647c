// The import page's progress bar updates itself from GET /api/v1/billing/imports/<id>/ until the import ends.
(function () {
  "use strict";
  var box = document.getElementById("import-status");
  if (!box || !box.dataset.running) { return; }
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (run) {
        if (!run) { return; }
        document.getElementById("import-progress").value = run.percent;
        Object.keys(run).forEach(function (key) {
          var cell = box.querySelector('[data-count="' + key + '"]');
          if (cell) { cell.textContent = run[key]; }
        });
        if (run.status === "done" || run.status === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
