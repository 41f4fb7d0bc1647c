"""The supervisors' dashboard, its exports, the printable monthly branch report and the targets page.
Thin: forms read the controls, reports/selectors read, services change targets."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import OrgUnit
from accounts.roles import is_supervisor, may_set_targets

from . import charts, exports, reports, selectors, services
from .forms import PeriodForm, TargetForm
from .models import Measure, Target
from .scorecards import RULE
from .services import effective_target
from .warnings import early_warnings

EXPORT_TABLES = ("units", "types", "scorecard", "deadlines")


def _controls(request, now):
    """(form, unit, start, end, kind) from the query; bad input falls back to this month, with errors."""
    form = PeriodForm(request.GET or None, user=request.user)
    today = timezone.localdate(now)
    kind, start, end, unit_code = "month", None, None, ""
    form.comparison = None
    if form.is_bound and form.is_valid():
        kind = form.cleaned_data["period"] or "month"
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        unit_code = form.cleaned_data["unit"]
        form.comparison = form.cleaned_data["by"] or None
    elif form.is_bound:
        unit_code = request.GET.get("unit", "") if "unit" not in form.errors else ""
    if kind == "range" and not (start and end):
        kind = "month"
    start, end = selectors.period_bounds(kind, today=today, start=start, end=end)
    unit = selectors.visible_unit(request.user, unit_code) or selectors.home_unit(request.user)
    if unit is not None and not OrgUnit.objects.visible_to(request.user).filter(pk=unit.pk).exists():
        unit = None
    return form, unit, start, end, kind


def _durations_text(tally) -> str:
    from tickets.models import Unit

    return "; ".join(
        f"{Unit(d['unit']).label}: {d['taken_median']}/{d['taken_p90']}"
        + (f" (+{d['late_median']})" if d["late_median"] is not None else "")
        for d in tally.durations()
    )


@login_required
@require_GET
def dashboard(request):
    now = timezone.now()
    form, unit, start, end, kind = _controls(request, now)
    labels = selectors.Labels()
    data = reports.dashboard(
        request.user,
        unit,
        start=start,
        end=end,
        kind=kind,
        now=now,
        comparison=form.comparison,
        labels=labels,
    )
    trend = selectors.weekly_trend(request.user, now=now, unit=unit, labels=labels)
    comparison_points = [
        (
            " · ".join(str(n) for n in row["names"])[:8],
            float(row["tally"].on_time_rate) if row["tally"].on_time_rate is not None else None,
            row["links"]["counted"],
        )
        for row in data["units_table"].rows[:16]
    ]
    target = effective_target(measure=Measure.ON_TIME_RATE, org_unit=unit, day=end) if unit else None
    points = [
        (
            w["week"].strftime("%m-%d"),
            float(w["tally"].on_time_rate) if w["tally"].on_time_rate is not None else None,
            reports.queue_url(
                selectors.drill_params(
                    start=w["week"],
                    end=w["week"] + dt.timedelta(days=6),
                    unit=unit,
                    group_by=(),
                    codes=(),
                    user=request.user,
                ),
                outcome="counted",
            ),
        )
        for w in trend
    ]
    query = request.GET.urlencode()
    own_only = selectors.own_handler(request.user) is not None
    context = {
        "form": form,
        "unit": unit,
        "kind": kind,
        "now_panel": reports.now_panel(request.user, unit, now=now),
        "trend_svg": charts.rate_bars(
            points, title=_("On-time rate by week"), target=float(target.value) if target else None
        ),
        "trend": trend,
        "comparison_svg": charts.rate_bars(
            comparison_points,
            title=_("On-time rate by group"),
            target=float(target.value) if target else None,
        ),
        "target": target,
        "warnings": early_warnings(request.user, unit, now=now, labels=labels),
        "complaints": None if own_only else reports.complaints_panel(request.user, start=start, end=end),
        "satisfaction": None
        if own_only
        else reports.satisfaction_panel(request.user, unit, start=start, end=end),
        "billing": reports.billing_panel(request.user, unit, start=start, end=end, now=now, labels=labels),
        "billing_figures": None
        if own_only
        else reports.billing_figures_panel(request.user, unit, start=start, end=end),
        "rule": RULE,
        "query": query,
        "own_only": own_only,
        "can_set_targets": may_set_targets(request.user),
        "now": now,
        **data,
    }
    return render(request, "dashboards/dashboard.html", context)


def _table_rows(table):
    for row in table.rows:
        tally, previous = row["tally"], row["previous"]
        yield [
            " / ".join(row["codes"]),
            " / ".join(str(n) for n in row["names"]),
            tally.counted,
            tally.met_on_time,
            tally.met_late,
            tally.breached_open,
            tally.pending,
            tally.on_time_rate,
            previous.on_time_rate if previous else None,
            _durations_text(tally),
        ]


@login_required
@require_GET
def export(request, table, fmt):
    if table not in EXPORT_TABLES or fmt not in ("csv", "xlsx"):
        raise Http404(_("No such export."))
    now = timezone.now()
    form, unit, start, end, kind = _controls(request, now)
    filename = f"{table}-{unit.code if unit else 'all'}-{start:%Y%m%d}-{end:%Y%m%d}"
    if table == "deadlines":
        header = exports.deadline_header()
        rows = exports.deadline_rows(
            request.user, start=start, end=end, now=now, unit=unit, outcome=request.GET.get("outcome") or None
        )
    elif table == "scorecard":
        data = reports.dashboard(
            request.user, unit, start=start, end=end, kind=kind, now=now, comparison=form.comparison
        )
        header = exports.scorecard_header()
        rows = (exports.scorecard_row(c, s) for c in data["scorecard"] for s in c["scores"])
    else:
        data = reports.dashboard(
            request.user, unit, start=start, end=end, kind=kind, now=now, comparison=form.comparison
        )
        shown = data["units_table" if table == "units" else "types_table"]
        header = exports.table_header(shown.title)
        rows = _table_rows(shown)
    if fmt == "csv":
        return exports.csv_response(header, rows, filename)
    return exports.xlsx_response(header, rows, filename, title=table)


@login_required
@require_GET
def monthly_report(request, code, month):
    """One printable page per branch and month: figures against last month, outlets ranked, complaints."""
    if not is_supervisor(request.user):
        raise PermissionDenied(_("The monthly report is for supervisors and managers."))
    unit = selectors.visible_unit(request.user, code)
    try:
        start = dt.date.fromisoformat(f"{month}-01")
    except ValueError as exc:
        raise Http404(_("Give the month as YYYY-MM.")) from exc
    end = selectors.period_bounds("month", today=start)[1]
    now = timezone.now()
    data = reports.dashboard(
        request.user,
        unit,
        start=start,
        end=end,
        kind="month",
        now=now,
        comparison="outlet" if unit.kind != OrgUnit.Kind.OUTLET else "handler",
    )
    context = {
        "unit": unit,
        "month": start,
        "printed_at": now,
        "rule": RULE,
        "complaints": reports.complaints_panel(request.user, start=start, end=end),
        **data,
    }
    return render(request, "dashboards/monthly_report.html", context)


@login_required
def targets(request):
    """The targets in force in the viewer's scope; the centre and branch managers also set them here."""
    if not is_supervisor(request.user):
        raise PermissionDenied(_("Targets are for supervisors and managers."))
    form = TargetForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                target = services.set_target(**form.service_kwargs(), actor=request.user, now=timezone.now())
            except ValidationError as error:
                form.apply_errors(error)
            else:
                messages.success(request, _("Target set for %(unit)s.") % {"unit": target.org_unit.name})
                return redirect("dashboards:targets")
        status = 400
    rows = (
        Target.objects.filter(org_unit__in=OrgUnit.objects.visible_to(request.user))
        .select_related("org_unit", "service_type", "set_by")
        .order_by("measure", "org_unit__path", "-valid_from")
    )
    ancestors = []
    profile = getattr(request.user, "staff_profile", None)
    if profile is not None:
        above = profile.org_unit.ancestors()
        ancestors = Target.objects.filter(org_unit__in=above).select_related("org_unit", "service_type")
    context = {
        "form": form,
        "targets": list(ancestors) + list(rows),
        "can_set": may_set_targets(request.user),
        "rule": RULE,
    }
    return render(request, "dashboards/targets.html", context, status=status)
