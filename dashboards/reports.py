"""What the dashboard page, the monthly report, the exports and the API show, assembled from the selectors."""

import datetime as dt
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from billing.selectors import dispute_figures
from complaints.selectors import complaint_figures
from satisfaction.selectors import recovery_figures, satisfaction_figures
from tickets import selectors as ticket_selectors
from tickets.models import Escalation, SlaState

from .figures import OUTCOME_FIELDS
from .scorecards import unit_scores
from .selectors import (
    Labels,
    default_comparison,
    drill_params,
    own_handler,
    previous_period,
    sla_rows,
    total,
)
from .services import TargetBook

FIGURE_OUTCOMES = ("counted", *OUTCOME_FIELDS)
GROUP_LABELS = {
    "branch": _("Branch"),
    "outlet": _("Outlet"),
    "service_type": _("Service type"),
    "milestone": _("Milestone"),
    "channel": _("Channel"),
    "priority": _("Priority"),
    "handler": _("Handler"),
}


def queue_url(params: dict, **more) -> str:
    merged = {**params, **more}
    return f"{reverse('tickets:queue')}?{urlencode({k: v for k, v in merged.items() if v not in (None, '')})}"


@dataclass
class Table:
    """One table of the period: rows by `group_by` with the previous period's rate beside each."""

    key: str
    title: str
    group_by: tuple
    rows: list = field(default_factory=list)
    total: object = None
    previous_total: object = None


def period_table(user, *, key, title, group_by, start, end, previous, now, unit, labels) -> Table:
    rows = sla_rows(
        user, start=start, end=end, now=now, group_by=group_by, unit=unit, labels=labels, with_durations=True
    )
    before = {
        r.key: r
        for r in sla_rows(
            user, start=previous[0], end=previous[1], now=now, group_by=group_by, unit=unit, labels=labels
        )
    }
    table = Table(
        key=key,
        title=title,
        group_by=group_by,
        total=total(rows),
        previous_total=total(list(before.values())),
    )
    for row in rows:
        params = drill_params(start=start, end=end, unit=unit, group_by=group_by, codes=row.codes, user=user)
        table.rows.append(
            {
                "names": row.names,
                "codes": row.codes,
                "tally": row.tally,
                "previous": before[row.key].tally if row.key in before else None,
                "links": {o: queue_url(params, outcome=o) for o in FIGURE_OUTCOMES},
            }
        )
    params = drill_params(start=start, end=end, unit=unit, group_by=(), codes=(), user=user)
    table.total_links = {o: queue_url(params, outcome=o) for o in FIGURE_OUTCOMES}
    return table


def now_panel(user, unit, *, now) -> dict:
    """Open cases by SLA state, what falls due next, escalations today: counts the queue gives too."""
    base = {"scope": "all", "org_unit": unit.code if unit else None, "handler": own_handler(user)}
    today = timezone.localdate(now)

    def count(**filters):
        return ticket_selectors.queue_queryset(user, now=now, **{**base, **filters}).order_by().count()

    states = [
        (SlaState.ON_TIME, count(sla_state=SlaState.ON_TIME), queue_url(base, sla=SlaState.ON_TIME)),
        (SlaState.AT_RISK, count(sla_state=SlaState.AT_RISK), queue_url(base, sla=SlaState.AT_RISK)),
        (SlaState.BREACHED, count(sla_state=SlaState.BREACHED), queue_url(base, sla=SlaState.BREACHED)),
    ]
    due = [
        (_("in the next 4 hours"), count(due_window_name="4h"), queue_url(base, due_window="4h")),
        (
            _("before close of business today"),
            count(due_window_name="today"),
            queue_url(base, due_window="today"),
        ),
    ]
    levels = [
        (
            Escalation.Level(level).label,
            count(escalated_level=level, escalated_on=today),
            queue_url(base, escalated_level=level, escalated_on=today.isoformat()),
        )
        for level in Escalation.Level.values
    ]
    return {"states": [(SlaState(s).label, n, url, s) for s, n, url in states], "due": due, "levels": levels}


def scorecard(user, unit, *, start, end, now, labels, comparison) -> list[dict]:
    """Outlets (or branches) ranked by on-time rate, each measure coloured against its target."""
    if comparison not in ("branch", "outlet"):
        return []
    rows = sla_rows(user, start=start, end=end, now=now, group_by=(comparison,), unit=unit, labels=labels)
    by_type = sla_rows(
        user, start=start, end=end, now=now, group_by=(comparison, "service_type"), unit=unit, labels=labels
    )
    per_10k = {}
    if comparison == "branch":
        figures = complaint_figures(
            user,
            start=ticket_selectors.local_day_start(start),
            end=ticket_selectors.local_day_start(end + dt.timedelta(days=1)),
        )
        per_10k = {r["unit"].pk: r["per_10k"] for r in figures["by_branch"]}
    surveys = {
        r["key"]: r
        for r in satisfaction_figures(user=user, scope=unit, start=start, end=end, group_by=comparison)
    }
    cards = []
    book = TargetBook()
    for row in rows:
        org_unit = labels.units.get(row.key[0])
        if org_unit is None:
            continue
        types = {r.key[1]: r.tally.on_time_rate for r in by_type if r.key[0] == row.key[0]}
        scores = unit_scores(
            org_unit,
            day=end,
            on_time_rate=row.tally.on_time_rate,
            by_type=types,
            labels=labels,
            book=book,
            complaints_per_10k=per_10k.get(org_unit.pk),
            satisfaction=surveys.get(org_unit.code, {}),
        )
        params = drill_params(
            start=start, end=end, unit=unit, group_by=(comparison,), codes=row.codes, user=user
        )
        cards.append(
            {
                "unit": org_unit,
                "tally": row.tally,
                "scores": scores,
                "worst": _worst(scores),
                "breached_url": queue_url(params, outcome="breached_open"),
            }
        )
    cards.sort(
        key=lambda c: (c["tally"].on_time_rate is None, -(c["tally"].on_time_rate or 0), c["unit"].path)
    )
    for rank, card in enumerate(cards, 1):
        card["rank"] = rank
    return cards


def _worst(scores) -> str:
    order = ["red", "amber", "green", "grey"]
    colours = [s.colour for s in scores]
    return next((c for c in order if c in colours), "grey")


def dashboard(user, unit, *, start, end, kind, now, comparison=None, labels=None) -> dict:
    labels = labels or Labels()
    previous = previous_period(start, end, kind)
    comparison = comparison or default_comparison(user, unit)
    return {
        "start": start,
        "end": end,
        "previous": previous,
        "comparison": comparison,
        "units_table": period_table(
            user,
            key="units",
            title=GROUP_LABELS[comparison],
            group_by=(comparison,),
            start=start,
            end=end,
            previous=previous,
            now=now,
            unit=unit,
            labels=labels,
        ),
        "types_table": period_table(
            user,
            key="types",
            title=_("Service type and milestone"),
            group_by=("service_type", "milestone"),
            start=start,
            end=end,
            previous=previous,
            now=now,
            unit=unit,
            labels=labels,
        ),
        "scorecard": scorecard(
            user, unit, start=start, end=end, now=now, labels=labels, comparison=comparison
        ),
    }


def complaints_panel(user, *, start, end) -> dict:
    """The complaint app's own figures for the period (computed there, shown here)."""
    return complaint_figures(
        user,
        start=ticket_selectors.local_day_start(start),
        end=ticket_selectors.local_day_start(end + dt.timedelta(days=1)),
    )


def billing_figures_panel(user, unit, *, start, end) -> dict:
    """The billing app's own dispute and adjustment figures for the period (computed there, shown here)."""
    return dispute_figures(
        user,
        start=ticket_selectors.local_day_start(start),
        end=ticket_selectors.local_day_start(end + dt.timedelta(days=1)),
        unit=unit,
    )


def satisfaction_panel(user, unit, *, start, end) -> dict:
    """The satisfaction app's own figures for cases closed in the period (computed there, shown here)."""
    [figures] = satisfaction_figures(user=user, scope=unit, start=start, end=end)
    [recovery] = recovery_figures(user=user, scope=unit, start=start, end=end)
    params = {"unit": unit.code if unit else "", "start": start.isoformat(), "end": end.isoformat()}
    base = reverse("satisfaction:answers")
    return {
        "figures": figures,
        "recovery": recovery,
        "figures_url": f"{reverse('satisfaction:figures')}?{urlencode(params)}",
        "answers_url": {
            state: f"{base}?{urlencode({**params, 'state': state})}"
            for state in ("due", "answered", "satisfied", "unsatisfied")
        },
    }


def billing_panel(user, unit, *, start, end, now, labels) -> dict:
    """Billing disputes are cases too: their deadlines by the same definitions, and the open ones now."""
    codes = [t.code for t in labels.types.values() if t.category == "billing"]
    rows = []
    for code in codes:
        rows += sla_rows(
            user,
            start=start,
            end=end,
            now=now,
            group_by=("service_type", "milestone"),
            unit=unit,
            service_type=code,
            labels=labels,
            with_durations=True,
        )
    base = {"scope": "all", "org_unit": unit.code if unit else None, "handler": own_handler(user)}
    open_cases = [
        (
            labels.label("service_type", t.pk)[1],
            ticket_selectors.queue_queryset(user, now=now, **base, service_type=t.code).order_by().count(),
            queue_url(base, service_type=t.code),
        )
        for t in labels.types.values()
        if t.category == "billing"
    ]
    table = Table(
        key="billing",
        title=str(_("Service type and milestone")),
        group_by=("service_type", "milestone"),
        total=total(rows),
    )
    for row in rows:
        params = drill_params(
            start=start, end=end, unit=unit, group_by=table.group_by, codes=row.codes, user=user
        )
        table.rows.append(
            {
                "names": row.names,
                "codes": row.codes,
                "tally": row.tally,
                "previous": None,
                "links": {o: queue_url(params, outcome=o) for o in FIGURE_OUTCOMES},
            }
        )
    table.total_links = {}
    if len(codes) == 1:
        params = drill_params(
            start=start, end=end, unit=unit, group_by=("service_type",), codes=(codes[0],), user=user
        )
        table.total_links = {o: queue_url(params, outcome=o) for o in FIGURE_OUTCOMES}
    return {"table": table, "open_cases": open_cases}
