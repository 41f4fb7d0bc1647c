"""Meters, readings, tariffs and bills (copied from the billing system), and billing disputes.

The billing system stays the system of record: readings and bills are never changed in place;
a correction is a new reading that points at the one it corrects, and an adjustment is a new
record that points at the bills it re-prices.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, CustomerCategory, Segment
from accounts.roles import Role
from accounts.visibility import VisibleQuerySet
from tickets.models import Ticket

MONEY = {"max_digits": 12, "decimal_places": 2}
VOLUME = {"max_digits": 12, "decimal_places": 3}


# ---------------------------------------------------------------- tariffs (data)


class TariffPlan(models.Model):
    """A published tariff: tier bounds per cycle, heating months, household allowance, validity."""

    class Cycle(models.TextChoices):
        CALENDAR_YEAR = "calendar_year", _("Calendar year")
        NONE = "none", _("None (flat price)")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    categories = models.ManyToManyField(
        CustomerCategory, verbose_name=_("customer categories"), related_name="tariff_plans", blank=True
    )
    cycle = models.CharField(
        _("tier cycle"), max_length=20, choices=Cycle.choices, default=Cycle.CALENDAR_YEAR
    )
    tier_bounds = models.JSONField(
        _("tier bounds (m³ per cycle)"),
        default=list,
        blank=True,
        help_text=_("Upper bound of every tier but the last, e.g. [600, 1000]; empty for a flat price."),
    )
    heating_months = models.JSONField(
        _("heating months"),
        default=list,
        blank=True,
        help_text=_("Months priced at the heating prices, e.g. [12, 1, 2]."),
    )
    large_household_persons = models.PositiveSmallIntegerField(
        _("large household from (persons)"), null=True, blank=True
    )
    large_household_allowance = models.DecimalField(
        _("allowance added to every tier bound (m³)"), **VOLUME, default=Decimal("0")
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("tariff plan")
        verbose_name_plural = _("tariff plans")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Season(models.TextChoices):
    ALL = "all", _("All year")
    NORMAL = "normal", _("Non-heating months")
    HEATING = "heating", _("Heating months")


class TariffPrice(models.Model):
    """The price per m³ of one tier in one season, from its effective date on."""

    plan = models.ForeignKey(
        TariffPlan, on_delete=models.CASCADE, related_name="prices", verbose_name=_("plan")
    )
    effective_from = models.DateField(_("effective from"))
    season = models.CharField(_("season"), max_length=10, choices=Season.choices, default=Season.ALL)
    tier = models.PositiveSmallIntegerField(_("tier"), default=1)
    price = models.DecimalField(_("price per m³ (CNY)"), max_digits=8, decimal_places=4)

    class Meta:
        verbose_name = _("tariff price")
        verbose_name_plural = _("tariff prices")
        ordering = ["plan", "effective_from", "season", "tier"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "effective_from", "season", "tier"], name="tariff_price_unique"
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="tariff_price_gt_0"),
        ]

    def __str__(self):
        return f"{self.plan.code} {self.effective_from} {self.season} T{self.tier} {self.price}"


class LateFeeRule(models.Model):
    """Late fee per customer segment: a rate per day after a grace period, capped at the unpaid amount."""

    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices, unique=True)
    rate_per_day = models.DecimalField(_("rate per day"), max_digits=6, decimal_places=5)
    grace_days = models.PositiveSmallIntegerField(_("days of grace"), default=7)

    class Meta:
        verbose_name = _("late-fee rule")
        verbose_name_plural = _("late-fee rules")

    def __str__(self):
        return f"{self.get_segment_display()} {self.rate_per_day}"


class Household(models.Model):
    """A household size recorded for an account; its allowance applies from `recorded_on`, never back."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="households", verbose_name=_("customer")
    )
    persons = models.PositiveSmallIntegerField(_("persons"))
    recorded_on = models.DateField(_("recorded on"))

    class Meta:
        verbose_name = _("household size")
        verbose_name_plural = _("household sizes")
        ordering = ["customer", "recorded_on"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "recorded_on"], name="household_once_a_day")
        ]

    def __str__(self):
        return f"{self.customer_id} {self.persons} @ {self.recorded_on}"


class MeterType(models.TextChoices):
    DIAPHRAGM = "diaphragm", _("Diaphragm")
    IC_CARD = "ic_card", _("IC-card prepaid")
    SMART = "smart", _("Smart")


class MeterTestRule(models.Model):
    """The legal tolerance of a meter type and how far back an out-of-tolerance meter is re-billed."""

    meter_type = models.CharField(_("meter type"), max_length=20, choices=MeterType.choices, unique=True)
    tolerance_pct = models.DecimalField(_("tolerance (± %)"), max_digits=5, decimal_places=2)
    rebill_months = models.PositiveSmallIntegerField(_("re-bill at most (months before removal)"), default=12)
    test_fee = models.DecimalField(_("test fee"), **MONEY, default=Decimal("0"))

    class Meta:
        verbose_name = _("meter test rule")
        verbose_name_plural = _("meter test rules")

    def __str__(self):
        return f"{self.get_meter_type_display()} ±{self.tolerance_pct}%"


class ApprovalLimit(models.Model):
    """Up to which amount (either sign) a role may approve an adjustment; above it a higher role must."""

    role = models.CharField(_("role"), max_length=30, choices=Role.choices, unique=True)
    max_amount = models.DecimalField(_("approves up to (CNY)"), **MONEY)

    class Meta:
        verbose_name = _("approval limit")
        verbose_name_plural = _("approval limits")
        ordering = ["max_amount"]

    def __str__(self):
        return f"{self.get_role_display()} {self.max_amount}"


# ---------------------------------------------------------------- meters, readings, bills


class MeterQuerySet(VisibleQuerySet):
    org_field = "customer__outlet"


class Meter(models.Model):
    class Status(models.TextChoices):
        IN_SERVICE = "in_service", _("In service")
        REMOVED = "removed", _("Removed")

    serial = models.CharField(_("serial"), max_length=40, unique=True)
    external_id = models.CharField(_("external id"), max_length=64, unique=True, null=True, blank=True)
    meter_type = models.CharField(_("type"), max_length=20, choices=MeterType.choices)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="meters", verbose_name=_("customer")
    )
    fitted_on = models.DateField(_("fitted on"))
    verify_by = models.DateField(_("verification due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.IN_SERVICE)
    removed_on = models.DateField(_("removed on"), null=True, blank=True)

    objects = MeterQuerySet.as_manager()

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        ordering = ["customer", "-fitted_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="in_service", removed_on__isnull=True)
                | Q(status="removed", removed_on__isnull=False),
                name="meter_removed_has_date",
            )
        ]

    def __str__(self):
        return self.serial


class ReadingSource(models.TextChoices):
    ACTUAL = "actual", _("Actual")
    ESTIMATED = "estimated", _("Estimated")
    SELF_READ = "self_read", _("Customer self-read")
    REMOTE = "remote", _("Remote (smart meter)")


class MeterReadingQuerySet(VisibleQuerySet):
    org_field = "meter__customer__outlet"


class MeterReading(models.Model):
    """A reading of a meter. Millions of rows arrive by import: only the indexes the reads need."""

    # (meter, read_on) indexes serve every lookup by meter.
    meter = models.ForeignKey(
        Meter, on_delete=models.PROTECT, related_name="readings", verbose_name=_("meter"), db_index=False
    )
    external_id = models.CharField(_("external id"), max_length=64, null=True, blank=True)
    read_on = models.DateField(_("read on"))
    value_m3 = models.DecimalField(_("reading (m³)"), **VOLUME)
    source = models.CharField(_("source"), max_length=20, choices=ReadingSource.choices)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("read by"),
        db_index=False,
    )
    # A correction (a re-read's value at the disputed date) points at the reading it corrects.
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("corrects"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = MeterReadingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")
        ordering = ["meter", "read_on"]
        indexes = [
            models.Index(fields=["meter", "read_on"], name="reading_meter_date"),
            models.Index(fields=["corrects"], name="reading_corrects", condition=Q(corrects__isnull=False)),
        ]
        constraints = [
            # A unique constraint, not unique=True: no second (LIKE) index on every imported row.
            models.UniqueConstraint(fields=["external_id"], name="reading_external_id_unique"),
            models.UniqueConstraint(
                fields=["meter", "read_on"], condition=Q(corrects__isnull=True), name="reading_once_a_day"
            ),
            models.CheckConstraint(condition=Q(value_m3__gte=0), name="reading_ge_0"),
        ]

    def __str__(self):
        return f"{self.meter.serial} {self.read_on} {self.value_m3}"


class BillStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    PAID = "paid", _("Paid")
    DISPUTED = "disputed", _("Disputed")
    ADJUSTED = "adjusted", _("Adjusted")
    VOID = "void", _("Void")


class BillQuerySet(VisibleQuerySet):
    org_field = "customer__outlet"


class Bill(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="bills", verbose_name=_("customer")
    )
    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="bills", verbose_name=_("meter"))
    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    plan = models.ForeignKey(
        TariffPlan, on_delete=models.PROTECT, related_name="bills", verbose_name=_("tariff plan")
    )
    opening_reading = models.ForeignKey(
        MeterReading, on_delete=models.PROTECT, related_name="bills_opened", verbose_name=_("opening reading")
    )
    closing_reading = models.ForeignKey(
        MeterReading, on_delete=models.PROTECT, related_name="bills_closed", verbose_name=_("closing reading")
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    volume_m3 = models.DecimalField(_("volume (m³)"), **VOLUME)
    amount = models.DecimalField(_("amount"), **MONEY)
    due_on = models.DateField(_("due on"))
    amount_paid = models.DecimalField(_("paid"), **MONEY, default=Decimal("0"))
    late_fee = models.DecimalField(_("late fee"), **MONEY, default=Decimal("0"))
    status = models.CharField(
        _("status"), max_length=20, choices=BillStatus.choices, default=BillStatus.ISSUED
    )
    is_estimated = models.BooleanField(_("estimated"), default=False)

    objects = BillQuerySet.as_manager()

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["customer", "-period_start"]
        indexes = [
            models.Index(fields=["customer", "period_start"], name="bill_customer_period"),
            models.Index(fields=["meter", "period_start"], name="bill_meter_period"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gt=F("period_start")), name="bill_period_positive"
            ),
            models.CheckConstraint(condition=Q(amount_paid__gte=0), name="bill_paid_ge_0"),
        ]

    def __str__(self):
        return self.external_id

    @property
    def unpaid(self) -> Decimal:
        return max(self.amount - self.amount_paid, Decimal("0"))


class BillLine(models.Model):
    """One segment x tier of a bill: what the front desk reads out to explain it."""

    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines", verbose_name=_("bill"))
    position = models.PositiveSmallIntegerField(_("line"))
    segment_start = models.DateField(_("from"))
    segment_end = models.DateField(_("to"))
    cycle = models.PositiveSmallIntegerField(_("cycle"))
    season = models.CharField(_("season"), max_length=10, choices=Season.choices)
    tier = models.PositiveSmallIntegerField(_("tier"))
    volume_m3 = models.DecimalField(_("volume (m³)"), **VOLUME)
    price = models.DecimalField(_("price"), max_digits=8, decimal_places=4)
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")
        ordering = ["bill", "position"]
        constraints = [models.UniqueConstraint(fields=["bill", "position"], name="bill_line_position")]

    def __str__(self):
        return f"{self.bill_id}#{self.position}"


# ---------------------------------------------------------------- disputes


class DisputeKind(models.TextChoices):
    READING = "reading", _("Disputed reading")
    ESTIMATE = "estimate", _("Estimated bill")
    TARIFF = "tariff", _("Tier or price applied")
    LATE_FEE = "late_fee", _("Late-fee waiver")
    ARREARS = "arrears", _("Disputed arrears")
    INHERITED = "inherited", _("Arrears from a previous owner")
    DOUBLE = "double", _("Double billing or double payment")
    METER_FAULT = "meter_fault", _("Suspected meter fault")


class Step(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    CHECK_ORDERED = "check_ordered", _("Re-read or meter test ordered")
    FINDING = "finding", _("Finding recorded")
    METER_REPLACED = "meter_replaced", _("Meter replaced")
    PROPOSED = "proposed", _("Adjustment proposed")
    APPROVED = "approved", _("Adjustment approved")
    WITHDRAWN = "withdrawn", _("Adjustment withdrawn")
    APPLIED = "applied", _("Adjustment applied")
    INFORMED = "informed", _("Customer informed")
    CLOSED = "closed", _("Closed without adjustment")


class DisputeQuerySet(VisibleQuerySet):
    org_field = "ticket__org_unit"

    def open(self):
        return self.filter(closed_at__isnull=True)


class Dispute(models.Model):
    """The dispute file of a BIL-DISP or MTR-TEST ticket: the bills in question and each step's record."""

    ticket = models.OneToOneField(
        Ticket,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="billing_dispute",
        verbose_name=_("ticket"),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="billing_disputes", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DisputeKind.choices)
    bills = models.ManyToManyField(Bill, related_name="disputes", verbose_name=_("disputed bills"))
    disputed_reading = models.ForeignKey(
        MeterReading,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes",
        verbose_name=_("disputed reading"),
    )
    check_ticket = models.OneToOneField(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dispute_check",
        verbose_name=_("re-read or meter test ticket"),
    )
    step = models.CharField(_("step"), max_length=20, choices=Step.choices, default=Step.REGISTERED)
    finding = models.TextField(_("finding"), blank=True)
    corrected_reading = models.OneToOneField(
        MeterReading,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="correcting_dispute",
        verbose_name=_("corrected reading"),
    )
    meter_error_pct = models.DecimalField(
        _("meter error (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    test_fee_waived = models.BooleanField(_("test fee waived"), default=False)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = DisputeQuerySet.as_manager()

    class Meta:
        verbose_name = _("billing dispute")
        verbose_name_plural = _("billing disputes")
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["customer", "opened_at"], name="dispute_customer_opened"),
            models.Index(fields=["opened_at"], name="dispute_open", condition=Q(closed_at__isnull=True)),
        ]

    def __str__(self):
        return self.ticket.reference

    @property
    def reference(self) -> str:
        return self.ticket.reference

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class DisputeEvent(models.Model):
    """Who did which step of a dispute, and when (the four-eyes record)."""

    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="events", verbose_name=_("dispute")
    )
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"))
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("dispute step")
        verbose_name_plural = _("dispute steps")
        ordering = ["dispute", "at", "id"]

    def __str__(self):
        return f"{self.dispute_id} {self.step}"


class MeterReplacement(models.Model):
    """A meter tested outside the legal tolerance is replaced at no cost: ordered by the test, then fitted.

    The old meter is marked removed on the day the new one (a new Meter row) is fitted.
    """

    dispute = models.OneToOneField(
        Dispute, on_delete=models.PROTECT, related_name="meter_replacement", verbose_name=_("dispute")
    )
    old_meter = models.ForeignKey(
        Meter, on_delete=models.PROTECT, related_name="replacements", verbose_name=_("old meter")
    )
    new_meter = models.OneToOneField(
        Meter,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced",
        verbose_name=_("new meter"),
    )
    is_free_of_charge = models.BooleanField(_("at no cost to the customer"), default=True)
    ordered_at = models.DateTimeField(_("ordered at"))
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("ordered by")
    )
    replaced_on = models.DateField(_("replaced on"), null=True, blank=True)
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("meter replacement")
        verbose_name_plural = _("meter replacements")
        constraints = [
            models.CheckConstraint(
                condition=Q(replaced_on__isnull=True, new_meter__isnull=True)
                | Q(replaced_on__isnull=False, new_meter__isnull=False),
                name="meter_replacement_done_has_new_meter",
            )
        ]

    def __str__(self):
        return f"{self.old_meter_id} -> {self.new_meter_id or '?'}"

    @property
    def is_done(self) -> bool:
        return self.replaced_on is not None


class AdjustmentQuerySet(VisibleQuerySet):
    org_field = "dispute__ticket__org_unit"


class Adjustment(models.Model):
    """New minus old for the re-priced bills, proposed, approved by a second person, applied once."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        APPLIED = "applied", _("Applied")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    dispute = models.ForeignKey(
        Dispute, on_delete=models.PROTECT, related_name="adjustments", verbose_name=_("dispute")
    )
    external_id = models.CharField(_("external id"), max_length=40, unique=True)
    amount = models.DecimalField(_("adjustment (CNY)"), **MONEY)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    corrected_reading = models.ForeignKey(
        MeterReading,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("corrected reading"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED)
    needs_second_person = models.BooleanField(_("needs a second person"), default=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("applied by"),
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)

    objects = AdjustmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ["-proposed_at"]
        constraints = [
            # Four eyes: whoever proposed an adjustment that needs a second person never approves it.
            models.CheckConstraint(
                condition=Q(needs_second_person=False)
                | Q(approved_by__isnull=True)
                | ~Q(approved_by=F("proposed_by")),
                name="adjustment_four_eyes",
            ),
            models.UniqueConstraint(
                fields=["dispute"],
                condition=Q(status__in=["proposed", "approved"]),
                name="adjustment_one_pending",
            ),
        ]
        indexes = [models.Index(fields=["status", "exported_at"], name="adjustment_export")]

    def __str__(self):
        return self.external_id


class AdjustmentLine(models.Model):
    """One re-priced bill: old against new, with the new lines as priced by the engine."""

    adjustment = models.ForeignKey(
        Adjustment, on_delete=models.CASCADE, related_name="lines", verbose_name=_("adjustment")
    )
    bill = models.ForeignKey(
        Bill, on_delete=models.PROTECT, related_name="adjustment_lines", verbose_name=_("bill")
    )
    old_volume_m3 = models.DecimalField(_("old volume"), **VOLUME)
    new_volume_m3 = models.DecimalField(_("new volume"), **VOLUME)
    old_amount = models.DecimalField(_("old amount"), **MONEY)
    new_amount = models.DecimalField(_("new amount"), **MONEY)
    new_lines = models.JSONField(_("new lines"), default=list)

    class Meta:
        verbose_name = _("adjustment line")
        verbose_name_plural = _("adjustment lines")
        ordering = ["adjustment", "bill__period_start"]
        constraints = [models.UniqueConstraint(fields=["adjustment", "bill"], name="adjustment_line_bill")]

    def __str__(self):
        return f"{self.adjustment_id} {self.bill_id}"

    @property
    def difference(self) -> Decimal:
        return self.new_amount - self.old_amount


# ---------------------------------------------------------------- imports


class ImportKind(models.TextChoices):
    METERS = "meters", _("Meters")
    READINGS = "readings", _("Readings")
    BILLS = "bills", _("Bills")


class ImportRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    file_name = models.CharField(_("file"), max_length=200)
    file = models.FileField(_("stored file"), upload_to="billing-imports/", blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows in the file"), null=True, blank=True)
    done_rows = models.PositiveIntegerField(_("rows done"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    refused = models.PositiveIntegerField(_("refused"), default=0)
    failure = models.TextField(_("failure"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("billing import")
        verbose_name_plural = _("billing imports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} {self.file_name}"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.done_rows * 100 // self.total_rows)


class ImportRefusal(models.Model):
    run = models.ForeignKey(
        ImportRun, on_delete=models.CASCADE, related_name="refusals", verbose_name=_("import")
    )
    row_number = models.PositiveIntegerField(_("row"))
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    code = models.CharField(_("reason code"), max_length=40)
    params = models.JSONField(_("reason details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("refused row")
        verbose_name_plural = _("refused rows")
        ordering = ["run", "row_number"]

    def __str__(self):
        return f"{self.run_id}:{self.row_number} {self.code}"

    @property
    def message(self) -> str:
        from .imports import refusal_text

        return refusal_text(self.code, self.params)
