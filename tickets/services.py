"""Every state change of a ticket: one function each, the only place that writes tickets.

Each function takes keyword arguments and the clock (`now=`), validates, writes in one
transaction with the ticket row locked, records the timeline event(s) (who, when, before and
after), reschedules the escalation steps of the milestones it touched, and sends the hooks
(tickets.hooks) once the transaction has committed. Broken rules raise ValidationError with a
field dict and a message a clerk can read.

Decisions (see also the docstrings):
- received_at may be up to RECEIVED_AT_SKEW ahead of the server clock (a client's clock); it
  is then stored as `now`. Further ahead is refused.
- Reaching a status meets every open milestone whose met_on_status is that status or an
  earlier step of new -> accepted -> assigned -> in_progress -> resolved -> closed
  (assigning a new ticket also accepts it).
- Reopening a resolved/closed ticket re-opens the milestones met by resolve/close with a new
  clock from the reopen time; milestones that start after them wait again.
- On resume each running milestone moves out by the time it stood still (working time for
  working units); a deadline set by the 12345 hotline or by hand does not move.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrgUnit, Segment, StaffProfile
from accounts.roles import SUPERVISOR_ROLES
from accounts.validators import is_mobile, validate_phone
from accounts.visibility import ALL, transfer_scope
from notifications.models import Notification
from notifications.services import Address, notify

from . import hooks, messages, routing, sla, timeline
from .alerts import alert_emergency
from .attachments import cleaned_upload, validate_attachment
from .calendars import get_snapshot
from .escalation import schedule_milestone
from .models import (
    OPEN_STATUSES,
    Attachment,
    Channel,
    MilestoneStandard,
    Priority,
    SlaState,
    Status,
    Ticket,
    TicketEvent,
)
from .models import Milestone as MilestoneModel
from .policies import policy_for
from .references import next_reference

RECEIVED_AT_SKEW = datetime.timedelta(minutes=2)
# A paper form or a 12345 order is days old, never years; older input is a typo (and a year-1
# date would overflow the deadline arithmetic). The hotline's own deadline is as near.
RECEIVED_AT_MAX_AGE = datetime.timedelta(days=366)
HOTLINE_DUE_MAX_AHEAD = datetime.timedelta(days=366)
ZERO = datetime.timedelta(0)


def _need_phone():
    return _("Without an account number, give a phone number to call back.")


Kind = TicketEvent.Kind

# The main line of the workflow; reaching a step meets milestones of this and earlier steps.
STATUS_RANK = {
    Status.ACCEPTED: 1,
    Status.ASSIGNED: 2,
    Status.IN_PROGRESS: 3,
    Status.RESOLVED: 4,
    Status.CLOSED: 5,
}

TRANSITIONS = {
    Status.NEW: [Status.ACCEPTED, Status.ASSIGNED, Status.CANCELLED],
    Status.ACCEPTED: [Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.CANCELLED],
    Status.ASSIGNED: [Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.CANCELLED],
    Status.IN_PROGRESS: [Status.WAITING_CUSTOMER, Status.RESOLVED, Status.CANCELLED],
    Status.WAITING_CUSTOMER: [Status.CANCELLED],  # + the status it was paused from (resume)
    Status.RESOLVED: [Status.CLOSED, Status.IN_PROGRESS],
    Status.CLOSED: [Status.IN_PROGRESS],
    Status.CANCELLED: [],
}

# Milestones a 12345 hotline deadline may pull in (the answer to the hotline).
HOTLINE_ANSWER_CODES = ("reply", "feedback")

UPDATABLE_FIELDS = {
    "description",
    "priority",
    "contact_name",
    "contact_phone",
    "contact_address",
    "received_at",
    "org_unit",
    "hotline_order_no",
    "hotline_due_at",
}

MILESTONE_FIELDS = [
    "started_at",
    "due_at",
    "met_at",
    "met_by",
    "state",
    "is_provisional",
    "is_override",
    "paused_for",
    "warn_at",
    "next_action_at",
    "next_action_level",
]

# ---------------------------------------------------------------- helpers


def _iso(value):
    return timezone.localtime(value).isoformat() if isinstance(value, datetime.datetime) else value


def _label(status: str) -> str:
    return str(Status(status).label)


def _username(user):
    return user.get_username() if user else None


def _locked(ticket) -> Ticket:
    """The ticket row, re-read and locked for this transaction."""
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related(
            "service_type__calendar", "service_type__escalation_policy", "org_unit", "assignee", "customer"
        )
        .get(pk=ticket.pk)
    )


def _milestones(ticket) -> list:
    rows = list(ticket.milestones.all())
    for m in rows:
        m.ticket = ticket
    return rows


def _event(ticket, kind, *, actor, now, message="", data=None, is_public=False) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, actor=actor, at=now, message=message, data=data or {}, is_public=is_public
    )


def _on_commit_status(ticket, before, after, actor, now):
    def send():
        hooks.ticket_status_changed.send(
            sender=Ticket, ticket=ticket, before=before, after=after, actor=actor, now=now
        )
        if after == Status.CLOSED:
            hooks.ticket_closed.send(sender=Ticket, ticket=ticket, actor=actor, now=now)

    transaction.on_commit(send)


def _clean_phone(value: str) -> str:
    value = (value or "").strip().replace(" ", "")
    try:
        validate_phone(value)
    except ValidationError as exc:
        raise ValidationError({"contact_phone": exc.messages}) from None
    return value


def check_received_at(received_at, now):
    """When a case was received: `now` when not given, never ahead of the clock nor over a year back."""
    if received_at is None:
        return now
    if received_at.tzinfo is None:
        raise ValidationError({"received_at": _("Give the receipt time with its time zone.")})
    if received_at > now + RECEIVED_AT_SKEW:
        raise ValidationError({"received_at": _("The receipt time cannot be in the future.")})
    if received_at < now - RECEIVED_AT_MAX_AGE:
        raise ValidationError({"received_at": _("The receipt time cannot be more than a year ago.")})
    return min(received_at, now)


def _hotline_due_errors(hotline_due_at, received_at) -> dict:
    """The 12345 order's own deadline: after the receipt, and within a year of it."""
    if hotline_due_at is None:
        return {}
    if hotline_due_at <= received_at:
        return {"hotline_due_at": [_("The hotline's deadline must be after the receipt time.")]}
    if hotline_due_at > received_at + HOTLINE_DUE_MAX_AHEAD:
        return {"hotline_due_at": [_("The hotline's deadline cannot be more than a year after the receipt.")]}
    return {}


def _hotline_target(milestones):
    """The milestone that answers the 12345 hotline: the last reply/feedback, else the last resolve."""
    answers = [m for m in milestones if m.code in HOTLINE_ANSWER_CODES]
    if not answers:
        answers = [m for m in milestones if m.met_on_status == Status.RESOLVED]
    return max(answers, key=lambda m: m.sort_order) if answers else None


def _start_clock(ticket, milestone, start, cal, milestones):
    """Start (or restart) a milestone's clock at `start`: its standard due, pauses, hotline deadline."""
    milestone.started_at = start
    due = sla.add_duration(cal, start, milestone.amount, milestone.unit)
    at, provisional = due.at, due.is_provisional
    if milestone.paused_for:
        moved = sla.extend_by(cal, at, milestone.unit, milestone.paused_for)
        at, provisional = moved.at, provisional or moved.is_provisional
    milestone.is_override = False
    if ticket.hotline_due_at and ticket.hotline_due_at < at and _hotline_target(milestones) is milestone:
        at, provisional, milestone.is_override = ticket.hotline_due_at, False, True
    milestone.due_at, milestone.is_provisional = at, provisional


def _met_state(milestone):
    return SlaState.MET_LATE if milestone.due_at and milestone.met_at > milestone.due_at else SlaState.MET


def _refresh_ticket(ticket, milestones):
    """Denormalise the nearest deadline and the worst SLA state onto the ticket, for the queues."""
    running = [m for m in milestones if m.met_at is None and m.due_at is not None]
    if ticket.status in OPEN_STATUSES and running:
        ticket.next_due_at = min(m.due_at for m in running)
        warns = [m.warn_at for m in running if m.warn_at is not None]
        ticket.next_warn_at = min(warns) if warns else None
        ticket.sla_state = max((m.state for m in running), key=sla.sla_rank)
        return
    ticket.next_due_at = ticket.next_warn_at = None
    states = [m.state for m in milestones if m.state != SlaState.PENDING]
    if not states:
        ticket.sla_state = SlaState.PENDING if ticket.status in OPEN_STATUSES else SlaState.MET
    else:
        ticket.sla_state = max(states, key=sla.sla_rank)
        if ticket.sla_state in (SlaState.ON_TIME, SlaState.AT_RISK):
            # An open clock on a finished ticket no longer runs.
            ticket.sla_state = SlaState.MET_LATE if SlaState.MET_LATE in states else SlaState.MET


class _Change:
    """What one service call touched, finished in one place: schedule, refresh, save."""

    def __init__(self, ticket, now):
        self.ticket = ticket
        self.now = now
        self.cal = get_snapshot(ticket.service_type.calendar)
        self.milestones = _milestones(ticket)
        self.touched = {}
        self.reschedule_all = False
        self._policy = None

    @property
    def policy(self):
        if self._policy is None:
            self._policy = policy_for(self.ticket.service_type)
        return self._policy

    def by_code(self, code):
        return next((m for m in self.milestones if m.code == code), None)

    def touch(self, milestone):
        self.touched[milestone.code] = milestone

    def meet(self, milestone, actor, events):
        """Meet a milestone now and start the clocks of those that wait for it."""
        if milestone.started_at is None:
            _start_clock(self.ticket, milestone, self.now, self.cal, self.milestones)
        milestone.met_at, milestone.met_by = self.now, actor
        milestone.state = _met_state(milestone)
        self.touch(milestone)
        events.append(
            {
                "code": milestone.code,
                "met_at": _iso(self.now),
                "due_at": _iso(milestone.due_at),
                "state": milestone.state,
            }
        )
        for waiting in self.milestones:
            if waiting.starts_after == milestone.code and waiting.started_at is None and not waiting.met_at:
                _start_clock(self.ticket, waiting, self.now, self.cal, self.milestones)
                self.touch(waiting)

    def meet_for_status(self, status, actor):
        rank = STATUS_RANK.get(status)
        met = []
        if rank is None:
            return met
        for m in sorted(self.milestones, key=lambda m: m.sort_order):
            if m.met_at is None and STATUS_RANK.get(m.met_on_status, 99) <= rank:
                if (
                    m.started_at is None
                    and m.starts_after
                    and self.by_code(m.starts_after) is not None
                    and self.by_code(m.starts_after).met_at is None
                ):
                    continue  # its clock never started: the step it waits for was not done
                self.meet(m, actor, met)
        return met

    def finish(self, *, ticket_fields=()):
        for m in self.milestones:
            if m.code in self.touched:
                schedule_milestone(m, now=self.now, policy=self.policy, cal=self.cal, save=False)
                m.save(update_fields=MILESTONE_FIELDS)
            elif self.reschedule_all and m.met_at is None:
                schedule_milestone(m, now=self.now, policy=self.policy, cal=self.cal)
        _refresh_ticket(self.ticket, self.milestones)
        self.ticket.save(
            update_fields=["next_due_at", "next_warn_at", "sla_state", "updated_at", *ticket_fields]
        )
        return self.ticket


def previous_status(ticket) -> str | None:
    """The status a waiting ticket returns to on resume (recorded on its PAUSED event)."""
    if ticket.status != Status.WAITING_CUSTOMER:
        return None
    data = (
        TicketEvent.objects.filter(ticket=ticket, kind=Kind.PAUSED)
        .order_by("-at", "-id")
        .values_list("data", flat=True)
        .first()
    )
    return (data or {}).get("before") or Status.IN_PROGRESS


def allowed_targets(ticket) -> list[str]:
    """Statuses this ticket may move to now (for the UI's buttons and the error message)."""
    targets = list(TRANSITIONS[ticket.status])
    if ticket.status == Status.WAITING_CUSTOMER:
        targets.insert(0, previous_status(ticket))
    return targets


def _check_not_waiting(ticket):
    if ticket.status == Status.WAITING_CUSTOMER:
        raise ValidationError({"to": _("The ticket is waiting on the customer: resume it first.")})


def _check_transition(ticket, to):
    targets = allowed_targets(ticket)
    if to not in targets:
        if targets:
            allowed = _("Allowed: %(targets)s.") % {"targets": ", ".join(_label(t) for t in targets)}
        else:
            allowed = _("A %(status)s ticket cannot change status.") % {"status": _label(ticket.status)}
        refused = _("Cannot go from %(before)s to %(after)s.") % {
            "before": _label(ticket.status),
            "after": _label(to),
        }
        raise ValidationError({"to": f"{refused} {allowed}"})


def _require_reason(reason, field="reason"):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: _("Give a reason.")})
    if len(reason) > 200:
        raise ValidationError({field: _("Keep the reason under 200 characters.")})
    return reason


def _set_status(change, to, actor, *, reason="", extra=None, ticket_fields=()):
    """Move to `to`, meet the milestones of that step, record the event, finish the change."""
    ticket, now = change.ticket, change.now
    before = ticket.status
    ticket.status = to
    change.reschedule_all = True
    met = change.meet_for_status(to, actor)
    data = {"before": before, "after": to, **(extra or {})}
    if reason:
        data["reason"] = reason
    if met:
        data["milestones_met"] = met
    _event(ticket, Kind.STATUS, actor=actor, now=now, message=reason, data=data)
    change.finish(ticket_fields=["status", *ticket_fields])
    hooks.ticket_status_changing.send(
        sender=Ticket, ticket=ticket, before=before, after=to, actor=actor, now=now
    )
    _on_commit_status(ticket, before, to, actor, now)
    return ticket


# ---------------------------------------------------------------- creation


def _applicable_standards(service_type, segment, is_safety_or_supply):
    condition_ok = {
        MilestoneStandard.Condition.ALWAYS: True,
        MilestoneStandard.Condition.SAFETY_OR_SUPPLY: is_safety_or_supply,
        MilestoneStandard.Condition.NOT_SAFETY_OR_SUPPLY: not is_safety_or_supply,
    }
    return [
        s
        for s in service_type.standards.all()
        if s.applies_to(segment) and condition_ok.get(s.condition, True)
    ]


def _walk_in_segment(service_type):
    if service_type.applies_to(Segment.RESIDENTIAL):
        return Segment.RESIDENTIAL
    return service_type.segments[0]


def preview_deadlines(
    *, service_type, segment, received_at, now, is_safety_or_supply=False, hotline_due_at=None
) -> list[dict]:
    """The promised dates a new ticket would get (front desk shows them before creating)."""
    received_at = check_received_at(received_at, now)
    if errors := _hotline_due_errors(hotline_due_at, received_at):
        raise ValidationError(errors)
    cal = get_snapshot(service_type.calendar)
    probe = Ticket(service_type=service_type, received_at=received_at, hotline_due_at=hotline_due_at)
    milestones = [
        MilestoneModel(
            code=s.code,
            name=s.name,
            name_en=s.name_en,
            amount=s.amount,
            unit=s.unit,
            starts_after=s.starts_after,
            met_on_status=s.met_on_status,
            sort_order=s.sort_order,
        )
        for s in _applicable_standards(service_type, segment, is_safety_or_supply)
    ]
    rows = []
    codes = {m.code for m in milestones}
    for m in milestones:
        if not m.starts_after or m.starts_after not in codes:
            _start_clock(probe, m, received_at, cal, milestones)
        rows.append(
            {
                "code": m.code,
                "name": m.local_name,
                "name_en": m.name_en,
                "due_at": m.due_at,
                "is_provisional": m.is_provisional,
                "unit": m.unit,
                "amount": m.amount,
                "starts_after": m.starts_after,
                "is_override": m.is_override,
            }
        )
    return rows


def create_ticket(
    *,
    service_type,
    channel,
    description,
    actor,
    now,
    customer=None,
    contact_name="",
    contact_phone="",
    contact_address="",
    received_at=None,
    priority=None,
    org_unit=None,
    hotline_order_no="",
    hotline_due_at=None,
    is_safety_or_supply=False,
    account_no="",
) -> Ticket:
    """Open a case: reference, responsible unit, milestones from the published standards, deadlines.

    Without `org_unit` the case is routed (tickets.routing.route_case; `account_no` is an
    unverified account number that only routes). A case staff take in person or on the phone
    is accepted at once: its `accept` milestone is met at creation.
    """
    errors = {}
    if not service_type.is_active:
        errors["service_type"] = [_("This service is no longer offered.")]
    if channel not in Channel.values:
        errors["channel"] = [_("Choose a channel.")]
    description = (description or "").strip()
    if not description:
        errors["description"] = [_("Describe what the customer asks for.")]
    if priority and priority not in Priority.values:
        errors["priority"] = [_("Choose a priority.")]
    try:
        contact_phone = _clean_phone(contact_phone)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if customer is None and not contact_phone:
        errors.setdefault("contact_phone", [_need_phone()])
    try:
        received_at = check_received_at(received_at, now)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if channel == Channel.CITY_HOTLINE and not (hotline_order_no or "").strip():
        errors["hotline_order_no"] = [_("Give the 12345 order number.")]
    if not errors.get("received_at"):
        errors.update(_hotline_due_errors(hotline_due_at, received_at))
    segment = customer.category.segment if customer is not None else _walk_in_segment(service_type)
    if not service_type.applies_to(segment):
        errors["service_type"] = [
            _("%(service)s is not offered to %(segment)s customers.")
            % {"service": service_type.name, "segment": Segment(segment).label}
        ]
    needs_routing = False
    if org_unit is None and not errors:
        try:
            route = routing.route_case(
                customer=customer, account_no=account_no, address=contact_address, actor=actor
            )
        except ValidationError as exc:
            errors.update({"org_unit": exc.messages})
        else:
            org_unit, needs_routing = route.org_unit, route.needs_routing
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        ticket = Ticket.objects.create(
            reference=next_reference(now),
            service_type=service_type,
            customer=customer,
            segment=segment,
            contact_name=(contact_name or (customer.name if customer else ""))[:100],
            contact_phone=contact_phone,
            contact_address=(contact_address or (customer.address if customer else ""))[:200],
            channel=channel,
            hotline_order_no=(hotline_order_no or "").strip(),
            hotline_due_at=hotline_due_at,
            is_safety_or_supply=is_safety_or_supply,
            priority=priority or (Priority.URGENT if service_type.is_emergency else Priority.NORMAL),
            status=Status.NEW,
            org_unit=org_unit,
            needs_routing=needs_routing,
            description=description,
            received_at=received_at,
            created_at=now,
            created_by=actor,
        )
        cal = get_snapshot(service_type.calendar)
        milestones = [
            MilestoneModel(
                ticket=ticket,
                code=s.code,
                name=s.name,
                name_en=s.name_en,
                amount=s.amount,
                unit=s.unit,
                starts_after=s.starts_after,
                met_on_status=s.met_on_status,
                sort_order=s.sort_order,
            )
            for s in _applicable_standards(service_type, segment, is_safety_or_supply)
        ]
        codes = {m.code for m in milestones}
        for m in milestones:
            if not m.starts_after or m.starts_after not in codes:
                _start_clock(ticket, m, received_at, cal, milestones)
        policy = policy_for(service_type)
        for m in milestones:
            schedule_milestone(m, now=now, policy=policy, cal=cal, save=False)
        MilestoneModel.objects.bulk_create(milestones)
        _refresh_ticket(ticket, milestones)
        ticket.save(update_fields=["next_due_at", "next_warn_at", "sla_state"])
        _event(
            ticket,
            Kind.CREATED,
            actor=actor,
            now=now,
            data={
                "received_at": _iso(received_at),
                "channel": channel,
                "service_type": service_type.code,
                "milestones": [
                    {"code": m.code, "due_at": _iso(m.due_at), "is_override": m.is_override}
                    for m in milestones
                ],
                "org_unit": org_unit.code,
                "needs_routing": needs_routing,
            },
        )
        if _accepted_on_intake(channel, actor, milestones):
            # Taken face to face or on the phone: the request is accepted as the clerk takes it.
            _set_status(_Change(ticket, now), Status.ACCEPTED, actor)
            milestones = list(ticket.milestones.all())
        alert_emergency(ticket, now=now)
        transaction.on_commit(
            lambda: hooks.ticket_created.send(sender=Ticket, ticket=ticket, actor=actor, now=now)
        )
    cached = ticket.milestones.all()
    cached._result_cache, cached._prefetch_done = milestones, True
    ticket._prefetched_objects_cache = {"milestones": cached}
    return ticket


# ---------------------------------------------------------------- details


# Channels where staff take the request from the customer in person or on the phone.
STAFF_INTAKE_CHANNELS = {Channel.SERVICE_HALL, Channel.HOTLINE, Channel.FIELD}
ACCEPT_MILESTONE = "accept"


def _accepted_on_intake(channel, actor, milestones) -> bool:
    has_accept = any(m.code == ACCEPT_MILESTONE for m in milestones)
    return has_accept and channel in STAFF_INTAKE_CHANNELS and hasattr(actor, "staff_profile")


def update_ticket(*, ticket, actor, now, **fields) -> Ticket:
    """Change a ticket's details; a new receipt time (or 12345 deadline) recomputes the deadlines."""
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError({f: _("This field cannot be changed here.") for f in sorted(unknown)})
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status in (Status.CLOSED, Status.CANCELLED):
            raise ValidationError(
                _("A %(status)s ticket cannot be changed; reopen it first.")
                % {"status": _label(ticket.status)}
            )
        errors, changes = {}, {}
        for name, value in fields.items():
            try:
                if name == "received_at":
                    if value is None:
                        raise ValidationError({"received_at": _("Give the receipt time.")})
                    value = check_received_at(value, now)
                elif name == "contact_phone":
                    value = _clean_phone(value)
                    if not value and ticket.customer_id is None:
                        raise ValidationError({"contact_phone": _need_phone()})
                elif name == "priority" and value not in Priority.values:
                    raise ValidationError({"priority": _("Choose a priority.")})
                elif name == "description":
                    value = (value or "").strip()
                    if not value:
                        raise ValidationError({"description": _("Describe what the customer asks for.")})
                elif name == "org_unit" and not isinstance(value, OrgUnit):
                    raise ValidationError({"org_unit": _("Choose the responsible unit.")})
                elif name in ("contact_name", "contact_address", "hotline_order_no"):
                    value = (value or "").strip()
            except ValidationError as exc:
                errors.update(exc.message_dict)
                continue
            if getattr(ticket, name) != value:
                changes[name] = (getattr(ticket, name), value)
        received = changes.get("received_at", (None, ticket.received_at))[1]
        hotline = changes.get("hotline_due_at", (None, ticket.hotline_due_at))[1]
        if {"hotline_due_at", "received_at"} & set(changes) and "received_at" not in errors:
            errors.update(_hotline_due_errors(hotline, received))
        if errors:
            raise ValidationError(errors)
        if not changes:
            return ticket
        for name, (_before, after) in changes.items():
            setattr(ticket, name, after)
        change = _Change(ticket, now)
        plain = {k: v for k, v in changes.items() if k not in ("received_at", "hotline_due_at")}
        if plain:
            _event(
                ticket,
                Kind.FIELD,
                actor=actor,
                now=now,
                data={
                    "before": {k: str(b) if k == "org_unit" else b for k, (b, a) in plain.items()},
                    "after": {k: str(a) if k == "org_unit" else a for k, (b, a) in plain.items()},
                },
            )
        if "received_at" in changes or "hotline_due_at" in changes:
            before_due = {m.code: _iso(m.due_at) for m in change.milestones}
            for m in change.milestones:
                if m.started_at is None:
                    continue
                start = ticket.received_at if not m.starts_after else m.started_at
                _start_clock(ticket, m, start, change.cal, change.milestones)
                if m.met_at is not None:
                    m.state = _met_state(m)
                change.touch(m)
            kind = Kind.RECEIVED_AT if "received_at" in changes else Kind.DEADLINE
            data = {"before": {}, "after": {}}
            for name in ("received_at", "hotline_due_at"):
                if name in changes:
                    data["before"][name], data["after"][name] = (_iso(v) for v in changes[name])
            data["milestones"] = [
                {"code": m.code, "before": before_due[m.code], "after": _iso(m.due_at)}
                for m in change.milestones
                if before_due[m.code] != _iso(m.due_at)
            ]
            _event(ticket, kind, actor=actor, now=now, data=data)
        return change.finish(ticket_fields=list(changes))


def set_milestone_due(*, milestone, due_at, actor, now, reason) -> MilestoneModel:
    """Set a milestone's deadline by hand, later or sooner than the standard (an improvement action's
    agreed due date); recorded on the timeline, and kept when the clock stops and resumes."""
    reason = _require_reason(reason)
    if due_at is None or due_at.tzinfo is None:
        raise ValidationError({"due_at": _("Give the deadline with its time zone.")})
    with transaction.atomic():
        ticket = _locked(milestone.ticket)
        if not ticket.is_open:
            raise ValidationError(_("Deadlines of a finished ticket cannot be changed."))
        change = _Change(ticket, now)
        m = change.by_code(milestone.code)
        if m.met_at is not None:
            raise ValidationError({"due_at": _("This milestone is already met.")})
        before = m.due_at
        if m.started_at is None:
            m.started_at = now
        m.due_at, m.is_override, m.is_provisional = due_at, True, False
        change.touch(m)
        _event(
            ticket,
            Kind.DEADLINE,
            actor=actor,
            now=now,
            message=reason,
            data={"code": m.code, "before": _iso(before), "after": _iso(due_at), "reason": reason},
        )
        change.finish()
    return m


# ---------------------------------------------------------------- the workflow


def accept_ticket(*, ticket, actor, now) -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        _check_not_waiting(ticket)
        _check_transition(ticket, Status.ACCEPTED)
        return _set_status(_Change(ticket, now), Status.ACCEPTED, actor)


def _check_assignee(ticket, assignee):
    if assignee is None or not assignee.is_active or not hasattr(assignee, "staff_profile"):
        raise ValidationError({"assignee": _("Choose an active staff member.")})
    if not Ticket.objects.visible_to(assignee).filter(pk=ticket.pk).exists():
        raise ValidationError(
            {
                "assignee": _(
                    "%(name)s works outside %(unit)s and cannot see this ticket; "
                    "choose someone from that unit."
                )
                % {"name": assignee.get_full_name() or assignee.get_username(), "unit": ticket.org_unit.name}
            }
        )


def assign_ticket(*, ticket, assignee, actor, now) -> Ticket:
    """Give the ticket to a staff member who can see it; a new or accepted ticket becomes assigned."""
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status in (Status.RESOLVED, Status.CLOSED, Status.CANCELLED):
            raise ValidationError(
                {
                    "assignee": _("A %(status)s ticket cannot be reassigned.")
                    % {"status": _label(ticket.status)}
                }
            )
        _check_assignee(ticket, assignee)
        if ticket.assignee_id == assignee.pk:
            raise ValidationError(
                {
                    "assignee": _("The ticket is already assigned to %(name)s.")
                    % {"name": assignee.get_full_name() or assignee.get_username()}
                }
            )
        before = ticket.assignee
        ticket.assignee = assignee
        _event(
            ticket,
            Kind.ASSIGNED,
            actor=actor,
            now=now,
            data={"before": _username(before), "after": _username(assignee)},
        )
        change = _Change(ticket, now)
        if ticket.status in (Status.NEW, Status.ACCEPTED):
            return _set_status(change, Status.ASSIGNED, actor, ticket_fields=["assignee"])
        return change.finish(ticket_fields=["assignee"])


def transfer_targets(user):
    """The units `user` may transfer cases to: active outlets and call centres inside their scope."""
    scope = transfer_scope(user)
    if scope is None:
        return OrgUnit.objects.none()
    units = OrgUnit.objects.filter(is_active=True, kind__in=(OrgUnit.Kind.OUTLET, OrgUnit.Kind.CALL_CENTRE))
    if scope is not ALL:
        units = units.filter(path__startswith=scope)
    return units.order_by("path")


def _receiving_staff(unit) -> list:
    """Who hears of a case arriving: the unit's supervisors, else (a call centre) its active staff."""
    profiles = StaffProfile.objects.filter(org_unit=unit, user__is_active=True).select_related("user")
    supervisors = [p.user for p in profiles if p.role in SUPERVISOR_ROLES]
    return supervisors or [p.user for p in profiles]


def transfer_ticket(*, ticket, to_unit, reason, actor, now) -> Ticket:
    """Move a case to another unit with a reason: recorded on the timeline, the receiving unit's
    supervisor notified, an assignee who works outside the new unit cleared."""
    if not transfer_targets(actor).exists():
        raise PermissionDenied(_("Only supervisors, call-centre agents and managers may transfer cases."))
    reason = _require_reason(reason)
    with transaction.atomic():
        ticket = _locked(ticket)
        if not Ticket.objects.visible_to(actor).filter(pk=ticket.pk).exists():
            raise PermissionDenied(_("You cannot see this case."))
        if ticket.status in (Status.CLOSED, Status.CANCELLED):
            raise ValidationError(
                {
                    "org_unit": _("A %(status)s case cannot be transferred.")
                    % {"status": _label(ticket.status)}
                }
            )
        if to_unit is None or not transfer_targets(actor).filter(pk=to_unit.pk).exists():
            raise ValidationError(
                {
                    "org_unit": _(
                        "%(unit)s is outside the units you may transfer cases to; choose one of yours."
                    )
                    % {"unit": to_unit.name if to_unit else "—"}
                }
            )
        if to_unit.pk == ticket.org_unit_id:
            raise ValidationError(
                {"org_unit": _("The case is already with %(unit)s.") % {"unit": to_unit.name}}
            )
        before = ticket.org_unit
        fields = ["org_unit", "needs_routing"]
        cleared = None
        if ticket.assignee_id and not ticket.assignee.staff_profile.org_unit.path.startswith(to_unit.path):
            cleared, ticket.assignee = ticket.assignee, None
            fields.append("assignee")
        ticket.org_unit, ticket.needs_routing = to_unit, False
        status_before = ticket.status
        if cleared is not None and ticket.status == Status.ASSIGNED:
            ticket.status = Status.ACCEPTED  # nobody holds it any more: it waits to be assigned again
            fields.append("status")
        _event(
            ticket,
            Kind.TRANSFERRED,
            actor=actor,
            now=now,
            message=reason,
            data={
                "before": before.code,
                "after": to_unit.code,
                "reason": reason,
                "assignee_cleared": cleared.pk if cleared else None,
                **(
                    {"status_before": status_before, "status_after": ticket.status}
                    if status_before != ticket.status
                    else {}
                ),
            },
        )
        notify(
            recipients=_receiving_staff(to_unit),
            kind="transfer",
            template=messages.TRANSFERRED,
            params={"unit": to_unit.name, "from_unit": before.name, "reason": reason},
            subject=messages.subject_for(ticket),
            now=now,
        )
        return _Change(ticket, now).finish(ticket_fields=fields)


def start_work(*, ticket, actor, now) -> Ticket:
    """Work starts (crew on its way, clerk on it); an unassigned ticket goes to whoever starts it."""
    with transaction.atomic():
        ticket = _locked(ticket)
        _check_not_waiting(ticket)
        _check_transition(ticket, Status.IN_PROGRESS)
        if ticket.status in (Status.RESOLVED, Status.CLOSED):
            raise ValidationError({"to": _("Use reopen for a finished ticket.")})
        fields = []
        if ticket.assignee_id is None and actor is not None and hasattr(actor, "staff_profile"):
            _check_assignee(ticket, actor)
            ticket.assignee = actor
            fields.append("assignee")
            _event(
                ticket, Kind.ASSIGNED, actor=actor, now=now, data={"before": None, "after": _username(actor)}
            )
        return _set_status(_Change(ticket, now), Status.IN_PROGRESS, actor, ticket_fields=fields)


def pause_ticket(*, ticket, reason, actor, now) -> Ticket:
    """Wait on the customer: the running clocks stop until resume; a reason is required."""
    with transaction.atomic():
        ticket = _locked(ticket)
        _check_transition(ticket, Status.WAITING_CUSTOMER)
        reason = _require_reason(reason)
        before = ticket.status
        ticket.status = Status.WAITING_CUSTOMER
        ticket.paused_at, ticket.pause_reason = now, reason
        change = _Change(ticket, now)
        for m in change.milestones:
            if m.met_at is None and m.due_at is not None:
                change.touch(m)
        _event(
            ticket,
            Kind.PAUSED,
            actor=actor,
            now=now,
            message=reason,
            data={"before": before, "after": Status.WAITING_CUSTOMER, "reason": reason},
        )
        change.finish(ticket_fields=["status", "paused_at", "pause_reason"])
        _on_commit_status(ticket, before, Status.WAITING_CUSTOMER, actor, now)
        return ticket


def resume_ticket(*, ticket, actor, now) -> Ticket:
    """Back to the status it was paused from; each running deadline moves out by the time stood still."""
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status != Status.WAITING_CUSTOMER:
            raise ValidationError({"to": _("Only a ticket waiting on the customer can be resumed.")})
        back = previous_status(ticket)
        change = _Change(ticket, now)
        paused_at = ticket.paused_at
        moved = []
        for m in change.milestones:
            if m.met_at is not None or m.due_at is None or m.is_override:
                continue
            since = max(paused_at, m.started_at or paused_at)
            stood = sla.elapsed_between(change.cal, since, now, m.unit) if now > since else ZERO
            if stood:
                new = sla.extend_by(change.cal, m.due_at, m.unit, stood)
                moved.append(
                    {
                        "code": m.code,
                        "before": _iso(m.due_at),
                        "after": _iso(new.at),
                        "paused": stood.total_seconds(),
                    }
                )
                m.due_at, m.is_provisional = new.at, m.is_provisional or new.is_provisional
                m.paused_for += stood
            change.touch(m)
        ticket.status, ticket.paused_at, ticket.pause_reason = back, None, ""
        _event(
            ticket,
            Kind.RESUMED,
            actor=actor,
            now=now,
            data={
                "before": Status.WAITING_CUSTOMER,
                "after": back,
                "paused_since": _iso(paused_at),
                "milestones": moved,
            },
        )
        change.finish(ticket_fields=["status", "paused_at", "pause_reason"])
        _on_commit_status(ticket, Status.WAITING_CUSTOMER, back, actor, now)
        return ticket


def resolve_ticket(*, ticket, actor, now) -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        _check_transition(ticket, Status.RESOLVED)
        ticket.resolved_at = now
        return _set_status(_Change(ticket, now), Status.RESOLVED, actor, ticket_fields=["resolved_at"])


def close_ticket(*, ticket, actor, now) -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        _check_transition(ticket, Status.CLOSED)
        ticket.closed_at = now
        return _set_status(_Change(ticket, now), Status.CLOSED, actor, ticket_fields=["closed_at"])


def reopen_ticket(*, ticket, actor, now, reason) -> Ticket:
    """Back to in progress; the milestones met by resolve/close run again from now."""
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status not in (Status.RESOLVED, Status.CLOSED):
            _check_transition(ticket, Status.IN_PROGRESS)
            raise ValidationError({"to": _("Only a resolved or closed ticket can be reopened.")})
        reason = _require_reason(reason)
        change = _Change(ticket, now)
        reopened = {
            m.code
            for m in change.milestones
            if m.met_at is not None and STATUS_RANK.get(m.met_on_status, 0) >= STATUS_RANK[Status.RESOLVED]
        }
        for m in sorted(change.milestones, key=lambda m: m.sort_order):
            if m.code not in reopened:
                continue
            m.met_at = m.met_by = None
            m.paused_for = datetime.timedelta(0)
            predecessor = change.by_code(m.starts_after) if m.starts_after else None
            if predecessor is not None and (predecessor.code in reopened or predecessor.met_at is None):
                m.started_at = m.due_at = None
                m.is_override = m.is_provisional = False
            else:
                _start_clock(ticket, m, now, change.cal, change.milestones)
            m.state = SlaState.PENDING
            change.touch(m)
        ticket.resolved_at = ticket.closed_at = None
        return _set_status(
            change,
            Status.IN_PROGRESS,
            actor,
            reason=reason,
            extra={"reopened": sorted(reopened)},
            ticket_fields=["resolved_at", "closed_at"],
        )


def cancel_ticket(*, ticket, actor, now, reason) -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        _check_transition(ticket, Status.CANCELLED)
        ticket.cancel_reason = _require_reason(reason)
        ticket.paused_at, ticket.pause_reason = None, ""
        return _set_status(
            _Change(ticket, now),
            Status.CANCELLED,
            actor,
            reason=ticket.cancel_reason,
            ticket_fields=["cancel_reason", "paused_at", "pause_reason"],
        )


def transition_ticket(*, ticket, to, actor, now, reason="", note="") -> Ticket:
    """One entry point for "move to status X" (API, UI buttons); dispatches to the functions above.

    `assigned` assigns the ticket to the actor ("take it"); `in_progress` on a finished ticket
    reopens it; the paused-from status on a waiting ticket resumes it.
    """
    if to not in Status.values:
        raise ValidationError({"to": _("Unknown status %(to)s.") % {"to": to}})
    with transaction.atomic():
        current = Ticket.objects.only("status").get(pk=ticket.pk)
        _check_transition(current, to)
        if current.status == Status.WAITING_CUSTOMER and to != Status.CANCELLED:
            result = resume_ticket(ticket=ticket, actor=actor, now=now)
        elif to == Status.ACCEPTED:
            result = accept_ticket(ticket=ticket, actor=actor, now=now)
        elif to == Status.ASSIGNED:
            result = assign_ticket(ticket=ticket, assignee=actor, actor=actor, now=now)
        elif to == Status.IN_PROGRESS and current.status in (Status.RESOLVED, Status.CLOSED):
            result = reopen_ticket(ticket=ticket, actor=actor, now=now, reason=reason)
        elif to == Status.IN_PROGRESS:
            result = start_work(ticket=ticket, actor=actor, now=now)
        elif to == Status.WAITING_CUSTOMER:
            result = pause_ticket(ticket=ticket, reason=reason, actor=actor, now=now)
        elif to == Status.RESOLVED:
            result = resolve_ticket(ticket=ticket, actor=actor, now=now)
        elif to == Status.CLOSED:
            result = close_ticket(ticket=ticket, actor=actor, now=now)
        else:
            result = cancel_ticket(ticket=ticket, actor=actor, now=now, reason=reason)
        if (note or "").strip():
            add_note(ticket=result, text=note, actor=actor, now=now)
    return result


# ---------------------------------------------------------------- milestones, notes, files


def meet_milestone(*, ticket, code, actor, now) -> MilestoneModel:
    """Staff record that a milestone was done (e.g. survey done); the clocks waiting on it start."""
    with transaction.atomic():
        ticket = _locked(ticket)
        change = _Change(ticket, now)
        m = change.by_code(code)
        if m is None:
            raise ValidationError({"code": _("This ticket has no milestone %(code)s.") % {"code": code}})
        if m.met_at is not None:
            raise ValidationError({"code": _("%(name)s was already met.") % {"name": m.local_name}})
        if ticket.status in (Status.CLOSED, Status.CANCELLED):
            raise ValidationError(
                {
                    "code": _("A %(status)s ticket's milestones cannot be met.")
                    % {"status": _label(ticket.status)}
                }
            )
        if m.started_at is None:
            first = change.by_code(m.starts_after)
            raise ValidationError(
                {
                    "code": _("%(name)s starts when %(first)s is met; record that first.")
                    % {"name": m.local_name, "first": first.local_name if first else m.starts_after}
                }
            )
        met = []
        change.meet(m, actor, met)
        _event(ticket, Kind.MILESTONE_MET, actor=actor, now=now, data=met[0])
        change.finish()
    return m


def _text(text, field="text"):
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: _("Write something first.")})
    return text


def add_note(*, ticket, text, actor, now) -> TicketEvent:
    """An internal note: staff only."""
    text = _text(text)
    with transaction.atomic():
        ticket = _locked(ticket)
        return _event(ticket, Kind.NOTE, actor=actor, now=now, message=text)


def _check_step(step: str) -> None:
    if not timeline.is_step(step):
        raise ValueError(f"No timeline step {step!r} is registered.")


def record_step(
    *, ticket, step: str, actor, now, params=None, note: str = "", kind=Kind.FIELD, is_public=False
) -> TicketEvent:
    """A step of an upper app's workflow on the ticket's timeline: its registered code and parameters,
    rendered in the reader's language (tickets.timeline); `note` is only what the clerk wrote."""
    _check_step(step)
    return _event(
        ticket,
        kind,
        actor=actor,
        now=now,
        message=(note or "").strip(),
        data={"step": step, **(params or {})},
        is_public=is_public,
    )


def add_reply(*, ticket, actor, now, text="", notify=True, step=None, params=None) -> TicketEvent:
    """A reply to the customer: shown on the public tracking page and sent by SMS (and email when
    known) through notification rows written with it; `notify=False` when the caller sends its own.
    An app's own worded reply is a registered `step` with `params`, read in the reader's language."""
    if step is None:
        message = sent = _text(text)
        data = {}
    else:
        _check_step(step)
        data = {"step": step, **(params or {})}
        message, sent = "", timeline.step_in_languages(ticket, step, params or {})
    with transaction.atomic():
        ticket = _locked(ticket)
        event = _event(ticket, Kind.REPLY, actor=actor, now=now, message=message, data=data, is_public=True)
        if notify:
            _send_reply(ticket, sent, now)
        return event


def _send_reply(ticket, text, now):
    from accounts.models import OrganisationProfile

    from .tracking import tracking_url

    kind = hooks.kind_for(ticket)
    email = kind.contact_email(ticket) if kind and kind.contact_email else ""
    phone = ticket.contact_phone or (ticket.customer.mobile if ticket.customer_id else "")
    addresses = []
    if is_mobile(phone):  # a landline cannot take an SMS
        addresses.append(Address(Notification.Channel.SMS, phone))
    if email:
        addresses.append(Address(Notification.Channel.EMAIL, email))
    notify(
        recipients=addresses,
        kind="reply",
        template=messages.REPLY,
        subject=messages.subject_for(ticket),
        params={
            "company": OrganisationProfile.current().signature,
            "url": tracking_url(ticket.reference),
            "text": text,
        },
        now=now,
    )


def add_attachment(*, ticket, file, actor, now, is_public=False) -> Attachment:
    """A photo or PDF (type checked by content, at most 20 MB), stored and put on the timeline.

    Photos are stored re-encoded: upright, at most 2560 px on the long side, without EXIF data.
    The slow part (decoding and encoding) runs before the ticket row is locked.
    """
    if file is None:
        raise ValidationError({"file": _("Choose a file.")})
    content_type = validate_attachment(file)
    name = (getattr(file, "name", "") or "file").rsplit("/", 1)[-1][:200]
    file = cleaned_upload(file, content_type)
    with transaction.atomic():
        ticket = _locked(ticket)
        attachment = Attachment(
            ticket=ticket,
            original_name=name,
            content_type=content_type,
            size=file.size,
            uploaded_by=actor,
            uploaded_at=now,
            is_public=is_public,
        )
        attachment.file.save(name, file, save=False)
        attachment.save()
        _event(
            ticket,
            Kind.ATTACHMENT,
            actor=actor,
            now=now,
            is_public=is_public,
            message=name,
            data={
                "uuid": str(attachment.uuid),
                "name": name,
                "size": attachment.size,
                "content_type": content_type,
            },
        )
    return attachment


# ---------------------------------------------------------------- calendars


def recompute_provisional_deadlines(calendar, *, now) -> int:
    """An official schedule arrived: recompute the provisional deadlines on that calendar."""
    ticket_ids = list(
        MilestoneModel.objects.filter(
            is_provisional=True,
            met_at__isnull=True,
            ticket__status__in=OPEN_STATUSES,
            ticket__service_type__calendar=calendar,
        )
        .values_list("ticket_id", flat=True)
        .distinct()
    )
    for ticket_id in ticket_ids:
        with transaction.atomic():
            ticket = _locked(Ticket(pk=ticket_id))
            change = _Change(ticket, now)
            moved = []
            for m in change.milestones:
                if not m.is_provisional or m.met_at is not None or m.started_at is None or m.is_override:
                    continue
                before = m.due_at
                _start_clock(ticket, m, m.started_at, change.cal, change.milestones)
                moved.append({"code": m.code, "before": _iso(before), "after": _iso(m.due_at)})
                change.touch(m)
            if moved:
                _event(
                    ticket,
                    Kind.DEADLINE,
                    actor=None,
                    now=now,
                    data={"milestones": moved, "reason": "calendar"},
                )
            change.finish()
    return len(ticket_ids)
