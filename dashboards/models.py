"""Targets (data, cascaded down the organisation), early-warning thresholds and the daily rollups."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit
from tickets.models import ServiceType, Unit

from .figures import STEP_FIELDS


class Measure(models.TextChoices):
    ON_TIME_RATE = "on_time_rate", _("On-time rate (%)")
    COMPLAINTS_PER_10K = "complaints_per_10k", _("Complaints per 10,000 customers")
    COMPLAINTS_ANSWERED_ON_TIME = "complaints_answered_on_time", _("Complaints answered on time (%)")
    SATISFACTION_RATE = "satisfaction_rate", _("Satisfaction rate (%)")
    CALLBACK_RATE = "callback_rate", _("Callback rate (%)")


# Measures where a lower figure is better; for every other measure higher is better.
LOWER_IS_BETTER = frozenset({Measure.COMPLAINTS_PER_10K})


class Target(models.Model):
    """A target for one measure and org unit (and service type, for on-time rates), valid from a day.

    The group centre sets the group's; a branch may set stricter ones for its outlets, never looser.
    A unit without its own target inherits the nearest one above it.
    """

    measure = models.CharField(_("measure"), max_length=40, choices=Measure.choices)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.CASCADE, related_name="targets"
    )
    service_type = models.ForeignKey(
        ServiceType,
        verbose_name=_("service type"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Only for on-time rates; empty means every service type."),
    )
    valid_from = models.DateField(_("valid from"))
    value = models.DecimalField(_("target"), max_digits=7, decimal_places=2)
    amber_margin = models.DecimalField(
        _("amber margin"),
        max_digits=7,
        decimal_places=2,
        default=5,
        help_text=_("How far short of the target is still amber rather than red."),
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    set_at = models.DateTimeField(_("set at"))

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["measure", "org_unit__path", "service_type__code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "org_unit", "service_type", "valid_from"],
                name="target_once_per_unit_day",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0) & Q(amber_margin__gte=0), name="target_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.get_measure_display()} {self.org_unit} {self.value}"

    @property
    def is_lower_better(self) -> bool:
        return self.measure in LOWER_IS_BETTER


class WarningThreshold(models.Model):
    """An early-warning threshold kept as data (e.g. the margin over an outlet's 8-week baseline)."""

    class Code(models.TextChoices):
        BREACH_RATE_MARGIN = "breach_rate_margin", _("Breach rate above the 8-week baseline by (points)")
        REPEAT_CASES = "repeat_cases", _("Cases of one customer within 30 days")
        BACKLOG_WEEKS = "backlog_weeks", _("Weeks of growing open backlog")

    code = models.CharField(_("code"), max_length=30, choices=Code.choices, unique=True)
    value = models.DecimalField(_("value"), max_digits=7, decimal_places=2)

    class Meta:
        verbose_name = _("early-warning threshold")
        verbose_name_plural = _("early-warning thresholds")
        ordering = ["code"]

    def __str__(self):
        return f"{self.get_code_display()}: {self.value}"


class RolledDay(models.Model):
    """A day whose rollup rows are complete; a late change to one of its milestones makes it stale."""

    day = models.DateField(_("day"), unique=True)
    rolled_at = models.DateTimeField(_("rolled at"))
    is_stale = models.BooleanField(_("stale"), default=False)

    class Meta:
        verbose_name = _("rolled-up day")
        verbose_name_plural = _("rolled-up days")
        ordering = ["-day"]
        indexes = [models.Index(fields=["day"], name="rolled_day_stale", condition=Q(is_stale=True))]

    def __str__(self):
        return f"{self.day}"


class RolledWeek(models.Model):
    """A past week (Monday) whose summary rows add up its seven fresh days; dropped when one goes stale."""

    week = models.DateField(_("week"), unique=True)
    rolled_at = models.DateTimeField(_("rolled at"))

    class Meta:
        verbose_name = _("rolled-up week")
        verbose_name_plural = _("rolled-up weeks")
        ordering = ["-week"]

    def __str__(self):
        return f"{self.week}"


class OutcomeColumns(models.Model):
    """Milestones of one time unit: counts by outcome and histograms of the time taken and the lateness,
    one column per step of figures.STEPS, so that SQL adds them up."""

    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices)
    met_on_time = models.PositiveIntegerField(default=0)
    met_late = models.PositiveIntegerField(default=0)
    breached_open = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


for _field in STEP_FIELDS:
    OutcomeColumns.add_to_class(_field, models.PositiveIntegerField(default=0))


class RollupRow(OutcomeColumns):
    """Milestones per (unit, service type, milestone, time unit)."""

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    service_type = models.ForeignKey(ServiceType, on_delete=models.CASCADE, related_name="+")
    milestone = models.CharField(_("milestone"), max_length=30)

    class Meta:
        abstract = True


class DailyRollup(RollupRow):
    """The milestones whose deadline fell on `day`."""

    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "org_unit", "service_type", "milestone", "unit"],
                name="rollup_once_per_day_unit_type_milestone",
            ),
        ]
        indexes = [models.Index(fields=["day", "org_unit"], name="rollup_day_unit")]

    def __str__(self):
        return f"{self.day} {self.org_unit_id} {self.service_type_id} {self.milestone}"


class WeeklyRollup(RollupRow):
    """The sum of a rolled week's daily rows (`week` is its Monday): a quarter reads 13 rows, not 91."""

    week = models.DateField(_("week"))

    class Meta:
        verbose_name = _("weekly rollup")
        verbose_name_plural = _("weekly rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["week", "org_unit", "service_type", "milestone", "unit"],
                name="rollup_once_per_week_unit_type_milestone",
            ),
        ]
        indexes = [models.Index(fields=["week", "org_unit"], name="rollup_week_unit")]

    def __str__(self):
        return f"{self.week} {self.org_unit_id} {self.service_type_id} {self.milestone}"


class Dimension(models.TextChoices):
    CHANNEL = "channel", _("Channel")
    PRIORITY = "priority", _("Priority")
    HANDLER = "handler", _("Handler")


class DimensionRow(OutcomeColumns):
    """Milestones per (unit, channel / priority / handler, time unit), for the comparisons by those."""

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    dimension = models.CharField(_("compared by"), max_length=10, choices=Dimension.choices)
    # The channel or priority code, or the handler's username ("" when unassigned).
    value = models.CharField(_("value"), max_length=150, blank=True)

    class Meta:
        abstract = True


class DimensionRollup(DimensionRow):
    """The milestones whose deadline fell on `day`, per unit and channel, priority or handler; rolled
    with the day's DailyRollup rows, fresh and stale with them."""

    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("daily rollup by channel, priority or handler")
        verbose_name_plural = _("daily rollups by channel, priority or handler")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "org_unit", "dimension", "value", "unit"],
                name="dimension_rollup_once_per_day",
            ),
        ]
        indexes = [models.Index(fields=["dimension", "day"], name="dimension_rollup_day")]

    def __str__(self):
        return f"{self.day} {self.org_unit_id} {self.dimension}={self.value}"


class BacklogWeek(models.Model):
    """A week start (Monday 00:00) whose open backlog was counted into BacklogSnapshot rows."""

    week = models.DateField(_("week"), unique=True)
    taken_at = models.DateTimeField(_("taken at"))

    class Meta:
        verbose_name = _("backlog snapshot")
        verbose_name_plural = _("backlog snapshots")
        ordering = ["-week"]

    def __str__(self):
        return f"{self.week}"


class BacklogSnapshot(models.Model):
    """The cases open at the start of `week` (its Monday, 00:00 local time), per unit and service type,
    counted the night after: the early warning on growing backlogs reads these, not every case closed
    since."""

    week = models.DateField(_("week"))
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    service_type = models.ForeignKey(ServiceType, on_delete=models.CASCADE, related_name="+")
    open_cases = models.PositiveIntegerField(_("open cases"))

    class Meta:
        verbose_name = _("open backlog")
        verbose_name_plural = _("open backlogs")
        constraints = [
            models.UniqueConstraint(
                fields=["week", "org_unit", "service_type"], name="backlog_once_per_week_unit_type"
            ),
        ]

    def __str__(self):
        return f"{self.week} {self.org_unit_id} {self.service_type_id}: {self.open_cases}"
