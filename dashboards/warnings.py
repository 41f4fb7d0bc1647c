"""Early warnings: act before the complaint. Each entry says what is wrong and links to what to do."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from notifications.selectors import failed_deliveries_for
from tickets import selectors as ticket_selectors
from tickets.calendars import missing_years
from tickets.models import SlaState, Status, WorkCalendar

from . import backlogs
from .models import WarningThreshold
from .selectors import Labels, own_handler, sla_rows, week_start

DEFAULT_THRESHOLDS = {
    WarningThreshold.Code.BREACH_RATE_MARGIN: Decimal(10),
    WarningThreshold.Code.REPEAT_CASES: Decimal(2),
    WarningThreshold.Code.BACKLOG_WEEKS: Decimal(3),
}


@dataclass
class Warning:
    kind: str
    text: str
    action: str
    url: str


def threshold(code: str) -> Decimal:
    row = WarningThreshold.objects.filter(code=code).first()
    return row.value if row else DEFAULT_THRESHOLDS[code]


def _queue_url(**params) -> str:
    return f"{reverse('tickets:queue')}?{urlencode({k: v for k, v in params.items() if v is not None})}"


def _visible_tickets(user, unit):
    return ticket_selectors.queue_queryset(
        user,
        scope="all",
        status=list(Status.values),
        org_unit=unit.code if unit else None,
        handler=own_handler(user),
    ).order_by()


def key_accounts_at_risk(user, unit, *, now, limit=20) -> list[Warning]:
    """Key accounts with an open case breached or at risk, by the clock (the queue's own filter)."""
    warnings = []
    for state in (SlaState.BREACHED, SlaState.AT_RISK):
        tickets = ticket_selectors.queue_queryset(
            user,
            scope="all",
            org_unit=unit.code if unit else None,
            handler=own_handler(user),
            sla_state=state,
            now=now,
        )
        for t in tickets.filter(customer__is_key_account=True).select_related("customer")[:limit]:
            warnings.append(
                Warning(
                    "key_account",
                    _("Key account %(name)s: case %(reference)s is %(state)s.")
                    % {"name": t.customer.name, "reference": t.reference, "state": SlaState(state).label},
                    _("Open the case and act now"),
                    reverse("tickets:detail", args=[t.reference]),
                )
            )
    return warnings[:limit]


def repeat_customers(user, unit, *, now, limit=20) -> list[Warning]:
    least = int(threshold(WarningThreshold.Code.REPEAT_CASES))
    rows = (
        _visible_tickets(user, unit)
        .filter(received_at__gte=now - dt.timedelta(days=30), customer__isnull=False)
        .exclude(status=Status.CANCELLED)
        .values("customer__account_no", "customer__name")
        .annotate(n=Count("id"))
        .filter(n__gte=least)
        .order_by("-n", "customer__account_no")[:limit]
    )
    return [
        Warning(
            "repeat",
            _("%(name)s (%(account)s) has %(n)s cases in 30 days.")
            % {"name": r["customer__name"], "account": r["customer__account_no"], "n": r["n"]},
            _("Review the customer's cases and call back"),
            reverse("accounts:customer_detail", args=[r["customer__account_no"]]),
        )
        for r in rows
    ]


def outlets_above_baseline(user, unit, *, now, labels=None) -> list[Warning]:
    """Outlets whose breach rate this week exceeds their own last 8 weeks' by more than the margin."""
    if own_handler(user):
        return []
    margin = threshold(WarningThreshold.Code.BREACH_RATE_MARGIN)
    today = timezone.localdate(now)
    this_week = week_start(today)
    labels = labels or Labels()
    current = {
        r.key: r
        for r in sla_rows(
            user, start=this_week, end=today, now=now, group_by=("outlet",), unit=unit, labels=labels
        )
    }
    baseline = {
        r.key: r
        for r in sla_rows(
            user,
            start=this_week - dt.timedelta(weeks=8),
            end=this_week - dt.timedelta(days=1),
            now=now,
            group_by=("outlet",),
            unit=unit,
            labels=labels,
        )
    }
    out = []
    for key, row in current.items():
        before = baseline.get(key)
        rate, base = row.tally.breach_rate, before.tally.breach_rate if before else None
        if rate is None or base is None or rate - base <= margin:
            continue
        out.append(
            Warning(
                "baseline",
                _(
                    "%(unit)s: %(rate)s%% of this week's deadlines missed, "
                    "against %(base)s%% over the last 8 weeks."
                )
                % {"unit": row.names[0], "rate": rate, "base": base},
                _("See the missed deadlines"),
                _queue_url(
                    scope="all",
                    org_unit=row.codes[0],
                    due_from=this_week.isoformat(),
                    due_to=today.isoformat(),
                    outcome="breached_open",
                ),
            )
        )
    return out


def growing_backlogs(user, unit, *, now, labels=None) -> list[Warning]:
    """Service types whose open backlog grew at each of the last N week starts and again until now."""
    weeks = int(threshold(WarningThreshold.Code.BACKLOG_WEEKS))
    this_week = week_start(timezone.localdate(now))
    mondays = [this_week - dt.timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    labels = labels or Labels()
    counts = backlogs.open_counts(
        user, unit, _visible_tickets(user, unit), mondays, now=now, counted=not own_handler(user)
    )
    out = []
    for type_pk, series in sorted(counts.items(), key=lambda item: labels.label("service_type", item[0])):
        if all(a < b for a, b in zip(series, series[1:], strict=False)):
            code, name = labels.label("service_type", type_pk)
            out.append(
                Warning(
                    "backlog",
                    _("%(type)s: open backlog grew %(weeks)s weeks running (%(counts)s).")
                    % {"type": name, "weeks": weeks, "counts": " → ".join(map(str, series))},
                    _("Open the backlog"),
                    _queue_url(scope="all", service_type=code, org_unit=unit.code if unit else None),
                )
            )
    return out


def missing_calendar_years(user, *, now) -> list[Warning]:
    """Years without the official schedule; only those who may load it in the admin get its link."""
    today = timezone.localdate(now)
    if user.is_staff and user.has_perm("tickets.add_calendaryear"):
        action, url = (
            _("Load the official schedule (manage.py load_calendar)"),
            reverse("admin:tickets_calendaryear_changelist"),
        )
    else:
        action, url = _("Ask an administrator to load the official schedule"), ""
    out = []
    for calendar in WorkCalendar.objects.order_by("code"):
        for year in missing_years(calendar, today + dt.timedelta(days=366), today=today):
            out.append(
                Warning(
                    "calendar",
                    _(
                        "%(calendar)s: no official holiday schedule for %(year)s; "
                        "deadlines in it are provisional."
                    )
                    % {"calendar": calendar.name, "year": year},
                    action,
                    url,
                )
            )
    return out


def failed_notifications(user) -> list[Warning]:
    failed = failed_deliveries_for(user).count()
    if not failed:
        return []
    return [
        Warning(
            "notification",
            _("%(n)s notifications failed to deliver.") % {"n": failed},
            _("Check the addresses and the gateway, then retry"),
            reverse("notifications:failed"),
        )
    ]


def early_warnings(user, unit, *, now, labels=None) -> list[Warning]:
    """Every early warning for the viewer's scope; `labels`: the page's, so that the figures the page
    has read already are not read again."""
    labels = labels or Labels()
    warnings = key_accounts_at_risk(user, unit, now=now) + repeat_customers(user, unit, now=now)
    warnings += outlets_above_baseline(user, unit, now=now, labels=labels)
    warnings += growing_backlogs(user, unit, now=now, labels=labels)
    if not own_handler(user):
        warnings += missing_calendar_years(user, now=now) + failed_notifications(user)
    return warnings
