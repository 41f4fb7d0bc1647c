"""Reads shared by the staff UI and the API: the queues, a ticket's page, its timeline.

Queues are sorted by the nearest deadline (next_due_at NULLS LAST, id) and paginated by
keyset: the cursor is the last row's (next_due_at, id), so page 1000 costs what page 1 costs,
and no page counts the whole table. Visibility only through Ticket.objects.visible_to(user).
"""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import OrgUnit

from . import hooks
from .models import (
    OPEN_STATUSES,
    Escalation,
    Milestone,
    Priority,
    SlaState,
    Status,
    Ticket,
    TicketEvent,
    WorkCalendar,
)

SCOPES = ("mine", "team", "all")
MAX_LIMIT = 200
QUEUE_RELATED = ("service_type", "customer", "org_unit", "assignee")
# How a milestone of a period ended up (the dashboards' definitions; the queue filters on them too).
OUTCOMES = ("counted", "met_on_time", "met_late", "breached_open", "pending")
DUE_WINDOWS = ("4h", "today")
# The query parameters of the dashboards' drill-down (the queue page and the API take the same).
DRILL_DOWN_FIELDS = (
    "due_from",
    "due_to",
    "milestone",
    "outcome",
    "due_window",
    "escalated_level",
    "escalated_on",
)
UNASSIGNED = "-"


@dataclass
class Page:
    rows: list
    next_cursor: str | None


def encode_cursor(ticket) -> str:
    raw = json.dumps([ticket.next_due_at.isoformat() if ticket.next_due_at else None, ticket.pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        due, pk = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        due = parse_datetime(due) if due is not None else None
        return due, int(pk)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        message = _("This page link is not valid; start from the first page.")
        raise ValidationError({"cursor": message}) from exc


def _after(qs, cursor):
    """Rows after the cursor in (next_due_at NULLS LAST, id) order."""
    due, pk = decode_cursor(cursor)
    if due is None:
        return qs.filter(next_due_at__isnull=True, pk__gt=pk)
    return qs.filter(Q(next_due_at__gt=due) | Q(next_due_at=due, pk__gt=pk) | Q(next_due_at__isnull=True))


def _team_path(user) -> str | None:
    profile = getattr(user, "staff_profile", None)
    return profile.org_unit.path if profile else None


CLOCK_STATES = (SlaState.ON_TIME, SlaState.AT_RISK, SlaState.BREACHED)


def sla_state_q(state: str, now: datetime.datetime, *, prefix: str = "") -> Q:
    """Tickets whose SLA state at `now` is `state`, by the clock (tickets.sla.state_by_clock):
    the nearest deadline and its warning time against `now`, in the query (index on next_due_at).
    `prefix`: the path to the ticket from another model ("ticket__")."""

    def f(name):
        return f"{prefix}{name}"

    running = Q(**{f("paused_at__isnull"): True, f("next_due_at__isnull"): False})
    if state == SlaState.BREACHED:
        return running & Q(**{f("next_due_at__lte"): now})
    if state == SlaState.AT_RISK:
        return running & Q(**{f("next_due_at__gt"): now, f("next_warn_at__lte"): now})
    if state == SlaState.ON_TIME:
        return (
            running
            & Q(**{f("next_due_at__gt"): now})
            & (Q(**{f("next_warn_at__gt"): now}) | Q(**{f("next_warn_at__isnull"): True}))
        )
    return ~running & Q(**{f("sla_state"): state})


# ---------------------------------------------------------------- milestones of a period


def _deadline_passed(now) -> Q:
    """The deadline is behind us; while a ticket waits on the customer its clocks stand still, so
    only a deadline that had passed before the pause counts as passed."""
    return Q(due_at__lt=now) & (Q(ticket__paused_at__isnull=True) | Q(due_at__lt=F("ticket__paused_at")))


def outcome_q(outcome: str, *, now) -> Q:
    """Milestones (of a period) in one outcome, by the dashboards' definitions:

    met on time = met at or before the deadline; met late = met after it; breached, still open =
    not met and the deadline has passed; pending = not met and not yet due (shown, not counted);
    counted = met + breached, still open.
    """
    met_on_time = Q(met_at__isnull=False, met_at__lte=F("due_at"))
    met_late = Q(met_at__isnull=False, met_at__gt=F("due_at"))
    breached_open = Q(met_at__isnull=True) & _deadline_passed(now)
    pending = Q(met_at__isnull=True) & (
        Q(due_at__gte=now) | Q(ticket__paused_at__isnull=False, due_at__gte=F("ticket__paused_at"))
    )
    rules = {
        "met_on_time": met_on_time,
        "met_late": met_late,
        "breached_open": breached_open,
        "pending": pending,
        "counted": Q(met_at__isnull=False) | breached_open,
    }
    if outcome not in rules:
        raise ValidationError({"outcome": _("Choose one of %(choices)s.") % {"choices": ", ".join(OUTCOMES)}})
    return rules[outcome]


def local_day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of a local (Asia/Shanghai) day, as an aware instant."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _unit_for(org_unit):
    if org_unit is None or isinstance(org_unit, OrgUnit):
        return org_unit
    return OrgUnit.objects.filter(code=org_unit).first()


def period_milestones(
    user,
    *,
    due_from: datetime.date,
    due_to: datetime.date,
    now,
    org_unit=None,
    service_type=None,
    milestone=None,
    channel=None,
    priority=None,
    handler=None,
    outcome=None,
    tickets=None,
    every_unit=False,
):
    """Milestones whose deadline falls in the local days `due_from`..`due_to` (inclusive) on tickets
    `user` may see (cancelled cases are not judged), optionally narrowed by unit subtree, service
    type code, milestone code, channel, priority, handler (username, "-" = unassigned) and outcome.

    `tickets` narrows to a ticket queryset (the queue's); `every_unit` reads every unit's (rollups).
    The ticket conditions are joins from the milestone, so the deadline index leads the plan.
    """
    if tickets is not None:
        qs = Milestone.objects.filter(ticket__in=tickets)
    elif every_unit:
        qs = Milestone.objects.all()
    else:
        qs = Milestone.objects.visible_to(user)
    qs = qs.filter(
        due_at__gte=local_day_start(due_from),
        due_at__lt=local_day_start(due_to + datetime.timedelta(days=1)),
    ).exclude(ticket__status=Status.CANCELLED)
    if org_unit:
        unit = _unit_for(org_unit)
        qs = qs.filter(ticket__org_unit__path__startswith=unit.path) if unit else qs.none()
    if service_type:
        qs = qs.filter(ticket__service_type__code=service_type)
    if channel:
        qs = qs.filter(ticket__channel=channel)
    if priority:
        qs = qs.filter(ticket__priority=priority)
    if handler == UNASSIGNED:
        qs = qs.filter(ticket__assignee__isnull=True)
    elif handler:
        qs = qs.filter(ticket__assignee__username=handler)
    if milestone:
        qs = qs.filter(code=milestone)
    if outcome:
        qs = qs.filter(outcome_q(outcome, now=now))
    return qs


def due_window(window: str, *, now) -> tuple[datetime.datetime, datetime.datetime]:
    """[now, end) for "what breaches next": the next 4 hours, or until close of business today
    (the default working calendar's; the end of the day when today is not a working day)."""
    if window == "4h":
        return now, now + datetime.timedelta(hours=4)
    if window != "today":
        raise ValidationError({"due_window": _("Choose 4h or today.")})
    from .calendars import get_snapshot

    today = timezone.localdate(now)
    calendar = WorkCalendar.objects.order_by("pk").first()
    close = get_snapshot(calendar).close_of_business(today) if calendar else None
    end = close if close is not None else local_day_start(today + datetime.timedelta(days=1))
    return now, max(now, end)


def _period_filter(qs, user, *, now, period):
    """Tickets having a milestone of the period in the asked outcome (the dashboards' drill-down)."""
    if not (period.get("due_from") and period.get("due_to")):
        raise ValidationError({"due_from": _("Give both the first and the last day of the period.")})
    matching = period_milestones(user, now=now, **period).filter(ticket=OuterRef("pk"))
    return qs.filter(Exists(matching))


def drill_down(
    *,
    due_from=None,
    due_to=None,
    milestone=None,
    outcome=None,
    due_window=None,
    escalated_level=None,
    escalated_on=None,
) -> dict:
    """The dashboards' drill-down parameters as queue_queryset's keyword arguments (page and API alike)."""
    filters = {}
    if due_from or due_to or milestone or outcome:
        filters["period"] = {
            "due_from": due_from,
            "due_to": due_to,
            "milestone": milestone or None,
            "outcome": outcome or None,
        }
    if due_window:
        filters["due_window_name"] = due_window
    if escalated_level is not None and escalated_on:
        filters["escalated_level"] = escalated_level
        filters["escalated_on"] = escalated_on
    return filters


# Queue filters that the deadlines' own query applies as the queue does.
DEADLINE_FILTERS = frozenset({"org_unit", "service_type", "channel", "priority", "handler"})


def period_deadline_count(user, *, scope, now, period, **filters) -> int:
    """How many deadlines of a period the queue's tickets hold (the figure a dashboard number counts).

    A dashboard's drill-down (scope "all", filtered by unit, type, channel, priority or handler) is
    counted on the milestones alone; other queue filters count the deadlines of the queue's tickets
    (a quarter's branch-wide count took 3.8 s that way at 10 million milestones)."""
    given = {key: value for key, value in filters.items() if value not in (None, "", [], ())}
    if scope == "all" and set(given) <= DEADLINE_FILTERS:
        return period_milestones(user, now=now, **given, **period).count()
    tickets = queue_queryset(user, scope=scope, now=now, period=period, **filters).order_by()
    return period_milestones(user, now=now, tickets=tickets, **period).count()


def queue_queryset(
    user,
    *,
    scope="team",
    status=None,
    service_type=None,
    org_unit=None,
    channel=None,
    due_before=None,
    sla_state=None,
    customer=None,
    needs_routing=None,
    priority=None,
    handler=None,
    period=None,
    due_window_name=None,
    escalated_level=None,
    escalated_on=None,
    now=None,
):
    """The filtered, visible, ordered queryset behind a queue (no slicing); `now`: the clock of the
    SLA state filter and of the dashboards' filters (default: the time of the call).

    `period` (due_from, due_to, milestone, outcome) keeps the tickets with such a milestone, of
    any status but cancelled; `due_window_name` the open ones due next; `escalated_level` with
    `escalated_on` (a local day) those escalated to that level that day.
    """
    now = now or timezone.now()
    if scope not in SCOPES:
        raise ValidationError({"scope": _("Choose mine, team or all.")})
    qs = Ticket.objects.visible_to(user)
    if scope == "mine":
        qs = qs.filter(assignee=user)
    elif scope == "team":
        path = _team_path(user)
        qs = qs.filter(org_unit__path__startswith=path) if path else qs.none()
    statuses = [status] if isinstance(status, str) else list(status or [])
    if statuses:
        unknown = [s for s in statuses if s not in Status.values]
        if unknown:
            message = _("Unknown status %(status)s.") % {"status": ", ".join(unknown)}
            raise ValidationError({"status": message})
        qs = qs.filter(status__in=statuses)
    elif not period and (escalated_level is None or not escalated_on):
        qs = qs.filter(status__in=OPEN_STATUSES)
    if priority:
        if priority not in Priority.values:
            raise ValidationError({"priority": _("Unknown priority %(priority)s.") % {"priority": priority}})
        qs = qs.filter(priority=priority)
    if handler == UNASSIGNED:
        qs = qs.filter(assignee__isnull=True)
    elif handler:
        qs = qs.filter(assignee__username=handler)
    if period:
        qs = _period_filter(qs, user, now=now, period=period)
    if due_window_name:
        start, end = due_window(due_window_name, now=now)
        qs = qs.filter(next_due_at__gte=start, next_due_at__lt=end)
    if escalated_level is not None and escalated_on:
        qs = qs.filter(
            Exists(
                Escalation.objects.filter(
                    ticket=OuterRef("pk"),
                    level=escalated_level,
                    at__gte=local_day_start(escalated_on),
                    at__lt=local_day_start(escalated_on + datetime.timedelta(days=1)),
                )
            )
        )
    if service_type:
        qs = (
            qs.filter(service_type__code=service_type)
            if isinstance(service_type, str)
            else qs.filter(service_type=service_type)
        )
    if org_unit:
        unit = org_unit if isinstance(org_unit, OrgUnit) else OrgUnit.objects.filter(code=org_unit).first()
        qs = qs.filter(org_unit__path__startswith=unit.path) if unit else qs.none()
    if channel:
        qs = qs.filter(channel=channel)
    if due_before:
        qs = qs.filter(next_due_at__lt=due_before)
    if sla_state:
        if sla_state not in SlaState.values:
            raise ValidationError({"sla_state": _("Unknown SLA state %(state)s.") % {"state": sla_state}})
        qs = qs.filter(sla_state_q(sla_state, now or timezone.now()))
    if customer:
        lookup = "customer__account_no" if isinstance(customer, str) else "customer"
        qs = qs.filter(**{lookup: customer})
    if needs_routing is not None:
        qs = qs.filter(needs_routing=needs_routing)
    return qs.order_by(F("next_due_at").asc(nulls_last=True), "id")


def _milestones_prefetch():
    return Prefetch("milestones", queryset=Milestone.objects.order_by("sort_order"))


def _escalations_prefetch():
    return Prefetch(
        "escalations", queryset=Escalation.objects.select_related("milestone").order_by("at", "level", "id")
    )


def _with_escalations(qs, *, with_escalations):
    return qs.prefetch_related(_escalations_prefetch()) if with_escalations else qs


def queue_for(
    user,
    *,
    scope="team",
    status=None,
    service_type=None,
    org_unit=None,
    channel=None,
    due_before=None,
    sla_state=None,
    customer=None,
    needs_routing=None,
    after=None,
    limit=50,
    with_milestones=False,
    with_escalations=False,
    with_kind_data=False,
    now=None,
    **more,
) -> Page:
    """One page of a queue: rows with their service type, customer, unit and assignee loaded.

    Constant query count per page: one for the rows, plus one each for milestones and the
    escalations, and per lookup of the upper apps' kinds present on the page, when asked.
    """
    limit = max(1, min(int(limit or 50), MAX_LIMIT))
    qs = queue_queryset(
        user,
        scope=scope,
        status=status,
        service_type=service_type,
        org_unit=org_unit,
        channel=channel,
        due_before=due_before,
        sla_state=sla_state,
        customer=customer,
        needs_routing=needs_routing,
        now=now,
        **more,
    )
    if after:
        qs = _after(qs, after)
    qs = qs.select_related(*QUEUE_RELATED)
    if with_milestones:
        qs = qs.prefetch_related(_milestones_prefetch())
    qs = _with_escalations(qs, with_escalations=with_escalations)
    rows = list(qs[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    if with_kind_data:
        hooks.prefetch_kind_data(rows)
    return Page(rows=rows, next_cursor=encode_cursor(rows[-1]) if has_more else None)


def ticket_detail(user, reference, *, with_escalations=False, with_kind_data=False, readable=False) -> Ticket:
    """The ticket with everything its page shows, or 404 when it does not exist or is not visible.

    The API also asks for the escalation history and the upper apps' kind data. `readable`
    adds the cases the user filed in another unit (read only: the receipt).
    """
    base = Ticket.objects.readable_by(user) if readable else Ticket.objects.visible_to(user)
    qs = base.select_related(
        *QUEUE_RELATED, "service_type__calendar", "customer__category", "created_by"
    ).prefetch_related(_milestones_prefetch())
    qs = _with_escalations(qs, with_escalations=with_escalations)
    ticket = qs.filter(reference=reference).first()
    if ticket is None:
        raise Http404(_("No ticket %(reference)s.") % {"reference": reference})
    if with_kind_data:
        hooks.prefetch_kind_data([ticket])
    return ticket


def find_visible_ticket(user, reference: str) -> Ticket | None:
    """A visible ticket by the reference a clerk typed (any case, blanks around), or None."""
    reference = (reference or "").strip().upper()
    return (
        Ticket.objects.visible_to(user)
        .select_related("org_unit", "service_type")
        .filter(reference=reference)
        .first()
    )


def visible_ticket(user, reference) -> Ticket:
    """A visible ticket by reference for an action (the service re-reads and locks it)."""
    ticket = find_visible_ticket(user, reference)
    if ticket is None:
        raise Http404(_("No ticket %(reference)s.") % {"reference": reference})
    return ticket


def cases_of_customer(user, customer, *, limit=20) -> list[Ticket]:
    """The customer's cases (every kind) that `user` may see, newest first."""
    cases = list(
        Ticket.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("service_type", "org_unit", "assignee")
        .order_by("-received_at", "-id")[:limit]
    )
    hooks.prefetch_kind_data(cases)
    return cases


def timeline(ticket, *, public_only=False):
    """The ticket's events, oldest first, with who did them."""
    qs = TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("at", "id")
    return qs.filter(is_public=True) if public_only else qs


def digest_figures(*, now: datetime.datetime, day_end: datetime.datetime):
    """For the supervisors' daily digest (notifications.digest): per org unit, how many open
    milestones are breached and how many fall due later today, and the first of them."""
    from notifications.digest import DigestFigures, DigestItem

    from .messages import in_languages

    running = Milestone.objects.filter(
        met_at__isnull=True, due_at__isnull=False, due_at__lt=day_end, ticket__status__in=OPEN_STATUSES
    )
    counts = {}
    for path, breached, today in (
        running.values("ticket__org_unit__path")
        .annotate(
            breached=Count("id", filter=Q(due_at__lte=now)), today=Count("id", filter=Q(due_at__gt=now))
        )
        .values_list("ticket__org_unit__path", "breached", "today")
    ):
        counts[path] = [breached, today]
    items = []
    if counts:
        items = [
            DigestItem(path=path, reference=reference, name=in_languages(name, name_en), due_at=due_at)
            for reference, name, name_en, due_at, path in running.order_by("due_at").values_list(
                "ticket__reference", "name", "name_en", "due_at", "ticket__org_unit__path"
            )[:5000]
        ]
    return DigestFigures(counts=counts, items=items)


def sweep_set_aside_count() -> int:
    """How many milestones the sweep set aside after an error (partial index: cheap)."""
    return Milestone.objects.filter(sweep_failures__gt=0).count()
