"""Service catalogue, working calendars, tickets, milestones, escalations, the timeline."""

import datetime
import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, OrgUnit, Segment
from accounts.visibility import VisibleQuerySet


class Unit(models.TextChoices):
    """How a milestone's allowed time is counted (see DESIGN.md)."""

    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("hours")
    DAYS = "days", _("calendar days")
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")


# ---------------------------------------------------------------- working calendars


class WorkCalendar(models.Model):
    """Weekly working periods, a time zone and dated exceptions (holidays, make-up days)."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=50, default="Asia/Shanghai")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")

    def __str__(self):
        return f"{self.code} {self.name}"


class WorkingPeriod(models.Model):
    """A weekly working period, e.g. Monday 08:30-12:00 (weekday 0 = Monday)."""

    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="periods")
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
    )
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["calendar", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")), name="working_period_start_before_end"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="working_period_weekday_range"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class CalendarDay(models.Model):
    """A dated exception: a public holiday, or a make-up working day (调休) on a weekend."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday")
        MAKEUP_WORKDAY = "makeup_workday", _("Make-up working day")

    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_unique")]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class CalendarYear(models.Model):
    """A year whose official schedule is loaded; deadlines in other years are provisional."""

    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(_("year"))
    source = models.CharField(_("source"), max_length=100)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now=True)

    class Meta:
        verbose_name = _("official calendar year")
        verbose_name_plural = _("official calendar years")
        ordering = ["calendar", "year"]
        constraints = [models.UniqueConstraint(fields=["calendar", "year"], name="calendar_year_unique")]

    def __str__(self):
        return f"{self.calendar_id}/{self.year}"


# ---------------------------------------------------------------- the published catalogue


class EscalationPolicy(models.Model):
    """When to warn and escalate: warn at a share of the allowed time, then levels after breach."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # xgettext:no-python-format
    warn_percent = models.PositiveSmallIntegerField(_("warn at % of allowed time"), default=80)
    level2_after_amount = models.PositiveIntegerField(_("branch manager after"), default=1)
    level2_after_unit = models.CharField(
        _("unit"), max_length=20, choices=Unit.choices, default=Unit.WORKING_DAYS
    )
    level3_after_amount = models.PositiveIntegerField(_("group centre after"), default=3)
    level3_after_unit = models.CharField(
        _("unit"), max_length=20, choices=Unit.choices, default=Unit.WORKING_DAYS
    )
    is_default = models.BooleanField(_("default policy"), default=False)

    class Meta:
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(warn_percent__gt=0, warn_percent__lt=100), name="policy_warn_percent"
            ),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_policy"
            ),
        ]

    def __str__(self):
        return self.name


class ServiceType(models.Model):
    """An entry of the published catalogue of service commitments (codes are stable)."""

    class Category(models.TextChoices):
        EMERGENCY = "emergency", _("Emergency")
        REPAIR = "repair", _("Repair")
        INSTALLATION = "installation", _("Installation and connection")
        ALTERATION = "alteration", _("Pipe alteration")
        OUTAGE = "outage", _("Planned outage")
        METER = "meter", _("Meter and reading")
        BILLING = "billing", _("Billing")
        ACCOUNT = "account", _("Account services")
        COMPLAINT = "complaint", _("Complaint")
        ENQUIRY = "enquiry", _("Enquiry")
        HOTLINE = "hotline", _("12345 city hotline")
        SAFETY = "safety", _("Safety")
        FOLLOW_UP = "follow_up", _("Follow-up")

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    segments = models.JSONField(_("segments"), default=list, help_text=_("Empty means every segment."))
    is_emergency = models.BooleanField(_("emergency"), default=False)
    calendar = models.ForeignKey(WorkCalendar, verbose_name=_("calendar"), on_delete=models.PROTECT)
    escalation_policy = models.ForeignKey(
        EscalationPolicy,
        verbose_name=_("escalation policy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty means the default policy."),
    )
    description = models.TextField(_("description"), blank=True)
    is_public = models.BooleanField(_("published"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    def applies_to(self, segment: str) -> bool:
        return not self.segments or segment in self.segments


class MilestoneStandard(models.Model):
    """A published time limit: `amount` `unit` from receipt or from another milestone."""

    class Condition(models.TextChoices):
        ALWAYS = "", _("Always")
        SAFETY_OR_SUPPLY = "safety_or_supply", _("Only for gas supply or safety matters")
        NOT_SAFETY_OR_SUPPLY = "not_safety_or_supply", _("Only for other matters")

    service_type = models.ForeignKey(ServiceType, on_delete=models.CASCADE, related_name="standards")
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices)
    starts_after = models.CharField(
        _("clock starts when met"),
        max_length=30,
        blank=True,
        help_text=_("Code of the milestone whose completion starts this clock; empty = on receipt."),
    )
    segments = models.JSONField(_("segments"), default=list, help_text=_("Empty means every segment."))
    condition = models.CharField(
        _("condition"), max_length=30, choices=Condition.choices, blank=True, default=""
    )
    met_on_status = models.CharField(
        _("met when the ticket reaches status"),
        max_length=20,
        blank=True,
        help_text=_("e.g. accepted, resolved: reaching this status meets the milestone."),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("milestone standard")
        verbose_name_plural = _("milestone standards")
        ordering = ["service_type", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["service_type", "code"], name="standard_code_unique_per_type"),
        ]

    def __str__(self):
        return f"{self.service_type.code}/{self.code}: {self.amount} {self.get_unit_display()}"

    def applies_to(self, segment: str) -> bool:
        return not self.segments or segment in self.segments


# ---------------------------------------------------------------- tickets


class Channel(models.TextChoices):
    SERVICE_HALL = "service_hall", _("Service hall")
    HOTLINE = "hotline", _("Hotline")
    CITY_HOTLINE = "city_hotline", _("12345 city hotline")
    WEB = "web", _("Web")
    MOBILE = "mobile", _("Mobile / WeChat")
    FIELD = "field", _("Field")
    LETTER = "letter", _("Letter")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Status(models.TextChoices):
    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = [
    Status.NEW,
    Status.ACCEPTED,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.WAITING_CUSTOMER,
]


class SlaState(models.TextChoices):
    PENDING = "pending", _("Not started")
    ON_TIME = "on_time", _("On time")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    MET = "met", _("Met")
    MET_LATE = "met_late", _("Met late")


class TicketQuerySet(VisibleQuerySet):
    org_field = "org_unit"
    filer_field = "created_by"

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Ticket(models.Model):
    """Every case is a ticket: requests, repairs, complaints, billing disputes."""

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    service_type = models.ForeignKey(ServiceType, verbose_name=_("service type"), on_delete=models.PROTECT)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,  # led by ticket_customer (customer, -received_at)
    )
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices)
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contact_address = models.CharField(_("contact address"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    hotline_order_no = models.CharField(_("12345 order number"), max_length=40, blank=True)
    hotline_due_at = models.DateTimeField(_("12345 reply deadline"), null=True, blank=True)
    is_safety_or_supply = models.BooleanField(_("gas supply or safety matter"), default=False)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="tickets"
    )
    # Neither the account nor the address placed the case: it waits in the call centre's triage
    # queue until someone transfers it to an outlet.
    needs_routing = models.BooleanField(_("needs routing"), default=False, db_default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    description = models.TextField(_("description"))
    received_at = models.DateTimeField(_("received at"))
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    pause_reason = models.CharField(_("pause reason"), max_length=200, blank=True)
    cancel_reason = models.CharField(_("cancel reason"), max_length=200, blank=True)
    # Denormalised from the open milestones, for the queues (sorted by nearest deadline).
    next_due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)
    # The earliest warning time of the running milestones: with next_due_at, the state by the clock.
    next_warn_at = models.DateTimeField(_("next warning"), null=True, blank=True)
    sla_state = models.CharField(
        _("SLA state"), max_length=20, choices=SlaState.choices, default=SlaState.ON_TIME
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), null=True, blank=True)
    notifications = GenericRelation(
        "notifications.Notification",
        content_type_field="subject_type",
        object_id_field="subject_id",
        related_query_name="ticket",
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-received_at"]
        indexes = [
            models.Index(
                fields=["org_unit", "next_due_at", "id"],
                name="ticket_open_unit_due",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["assignee", "next_due_at", "id"],
                name="ticket_open_assignee_due",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["next_due_at", "id"], name="ticket_open_due", condition=Q(status__in=OPEN_STATUSES)
            ),
            # Queue filters on a rare channel (letter, field) or one service type must not scan
            # the open queue.
            models.Index(
                fields=["channel", "next_due_at", "id"],
                name="ticket_open_channel_due",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["service_type", "next_due_at", "id"],
                name="ticket_open_type_due",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["next_due_at", "id"],
                name="ticket_open_needs_routing",
                condition=Q(status__in=OPEN_STATUSES, needs_routing=True),
            ),
            # "At risk" by the clock (warning passed, deadline not): the warning time bounds the
            # scan and the deadline is checked in the index, not in the table.
            models.Index(
                fields=["next_warn_at", "next_due_at"],
                name="ticket_running_warn_due",
                condition=Q(status__in=OPEN_STATUSES, paused_at__isnull=True),
            ),
            models.Index(fields=["customer", "-received_at"], name="ticket_customer"),
            models.Index(fields=["contact_phone"], name="ticket_contact_phone"),
            models.Index(fields=["status", "-received_at"], name="ticket_status_received"),
            # Queues filtered on a finished status (closed, cancelled) are sorted the same way.
            models.Index(fields=["status", "next_due_at", "id"], name="ticket_status_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(contact_phone=""),
                name="ticket_has_customer_or_phone",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.WAITING_CUSTOMER) | Q(paused_at__isnull=False),
                name="ticket_waiting_is_paused",
            ),
        ]

    def __str__(self):
        return self.reference

    def sla_state_at(self, now) -> str:
        """On time / at risk / breached at `now`, from the deadlines (see tickets.sla.state_by_clock)."""
        from .sla import state_by_clock

        return state_by_clock(
            stored=self.sla_state,
            due=self.next_due_at,
            warn=self.next_warn_at,
            is_paused=self.paused_at is not None,
            now=now,
        )

    @property
    def sla_state_now(self) -> str:
        """The state shown on pages and in the API: by the clock when it is read."""
        from django.utils import timezone

        return self.sla_state_at(timezone.now())

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class MilestoneQuerySet(VisibleQuerySet):
    org_field = "ticket__org_unit"


class Milestone(models.Model):
    """A published time limit applied to one ticket, with its own clock and next step."""

    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="milestones",
        db_index=False,  # led by milestone_code_unique_per_ticket (ticket, code)
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    # Copied from the standard with the Chinese name, so English pages and receipts name it too.
    name_en = models.CharField(_("English name"), max_length=100, blank=True, default="", db_default="")
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices)
    starts_after = models.CharField(_("clock starts when met"), max_length=30, blank=True)
    met_on_status = models.CharField(_("met at status"), max_length=20, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    started_at = models.DateTimeField(_("clock started"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    met_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("met by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=20, choices=SlaState.choices, default=SlaState.PENDING)
    is_provisional = models.BooleanField(
        _("provisional"),
        default=False,
        help_text=_("The deadline reaches into a year without an official holiday schedule."),
    )
    is_override = models.BooleanField(_("set by the 12345 hotline"), default=False)
    # Clock time spent paused (working time for working_* units), so a recomputation of due_at
    # (received_at changed, official calendar loaded) keeps the pauses already granted.
    paused_for = models.DurationField(_("paused for"), default=datetime.timedelta)
    # The sweep's work list: when this milestone's next step (warn, breach, next level) is due.
    next_action_at = models.DateTimeField(_("next action at"), null=True, blank=True)
    next_action_level = models.SmallIntegerField(_("next escalation level"), null=True, blank=True)
    last_error = models.TextField(_("last sweep error"), blank=True)
    sweep_failures = models.PositiveSmallIntegerField(_("failed sweep attempts"), default=0, db_default=0)

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["ticket", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "code"], name="milestone_code_unique_per_ticket")
        ]
        indexes = [
            models.Index(
                fields=["next_action_at"],
                name="milestone_due_action",
                condition=Q(next_action_at__isnull=False, met_at__isnull=True),
            ),
            # The dashboards read milestones by the day their deadline falls in.
            models.Index(fields=["due_at"], name="milestone_due"),
            # The rows the sweep set aside after an error (admin filter, /healthz count): few, so tiny.
            models.Index(
                fields=["next_action_at"], name="milestone_set_aside", condition=Q(sweep_failures__gt=0)
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id}/{self.code}"

    @property
    def local_name(self) -> str:
        """The name in the active language: English when the page is English and one is known."""
        english = (get_language() or "").startswith("en")
        return self.name_en if english and self.name_en else self.name


class Escalation(models.Model):
    """One step of the ladder for one milestone: level 0 warns, 1-3 escalate. Happens once."""

    class Level(models.IntegerChoices):
        WARNING = 0, _("Warning to handler")
        OUTLET = 1, _("Outlet supervisor")
        BRANCH = 2, _("Branch manager")
        CENTRE = 3, _("Group service centre")

    milestone = models.ForeignKey(
        Milestone,
        on_delete=models.CASCADE,
        related_name="escalations",
        db_index=False,  # led by escalation_once_per_level (milestone, level)
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    at = models.DateTimeField(_("at"))
    due_at = models.DateTimeField(_("milestone due at"))
    recipients = models.JSONField(_("recipients"), default=list)
    # A step passed over by a late sweep (only the highest step due is performed; nobody is told).
    is_skipped = models.BooleanField(_("skipped"), default=False, db_default=False)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["ticket", "at"]
        constraints = [
            models.UniqueConstraint(fields=["milestone", "level"], name="escalation_once_per_level")
        ]

    def __str__(self):
        return f"{self.milestone_id} L{self.level}"


class TicketEvent(models.Model):
    """The ticket's timeline: every change, note and reply, with who, when, before/after."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status changed")
        ASSIGNED = "assigned", _("Assigned")
        FIELD = "field", _("Details changed")
        RECEIVED_AT = "received_at", _("Receipt time changed")
        PAUSED = "paused", _("Clock paused")
        RESUMED = "resumed", _("Clock resumed")
        MILESTONE_MET = "milestone_met", _("Milestone met")
        DEADLINE = "deadline", _("Deadline changed")
        WARNING = "warning", _("Deadline warning")
        ESCALATED = "escalated", _("Escalated")
        NOTE = "note", _("Internal note")
        REPLY = "reply", _("Reply to customer")
        ATTACHMENT = "attachment", _("Attachment")
        NOTIFICATION = "notification", _("Notification")
        TRANSFERRED = "transferred", _("Transferred")

    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,  # led by event_ticket_at (ticket, at)
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))
    is_public = models.BooleanField(_("visible to the customer"), default=False)
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["ticket", "at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="event_ticket_at")]

    def __str__(self):
        return f"{self.ticket_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class ServiceArea(models.Model):
    """Which outlet serves an address: a district, optionally narrowed to a street or community.

    Routing uses it for a case without an account; the most specific matching row wins
    (a street row over its district's row).
    """

    district = models.CharField(
        _("district"), max_length=30, help_text=_("As written in addresses, e.g. 渝中区.")
    )
    street = models.CharField(
        _("street or community"),
        max_length=60,
        blank=True,
        help_text=_("A road, street or residential community name; empty means the whole district."),
    )
    outlet = models.ForeignKey(
        OrgUnit,
        verbose_name=_("outlet"),
        on_delete=models.PROTECT,
        related_name="service_areas",
        limit_choices_to={"kind": OrgUnit.Kind.OUTLET},
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service area")
        verbose_name_plural = _("service areas")
        ordering = ["district", "street"]
        constraints = [models.UniqueConstraint(fields=["district", "street"], name="service_area_unique")]

    def __str__(self):
        return f"{self.district}{self.street} → {self.outlet}"


class ReferenceCounter(models.Model):
    """Last ticket number handed out on a day: GS20261126-00042 is the 42nd of that day."""

    day = models.DateField(_("day"), unique=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")

    def __str__(self):
        return f"{self.day}: {self.last}"


def attachment_path(instance, filename):
    return f"attachments/{instance.ticket_id}/{instance.uuid}"


class Attachment(models.Model):
    """A file on a ticket; the type is checked by content, the size by the service."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    is_public = models.BooleanField(_("visible to the customer"), default=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["ticket", "uploaded_at"]

    def __str__(self):
        return self.original_name
