"""Follow-up surveys after closure, their callback attempts, and service recovery.

The questionnaire, the outcomes, the formulas and the recovery rule come from
shared/data/satisfaction.md. A survey row exists for every closed case (also when the case is
not due for follow-up, with the reason), so no outcome is ever dropped.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, OrgUnit
from accounts.visibility import VisibleQuerySet
from tickets.models import ServiceType, Ticket

SCORE_MIN, SCORE_MAX = 1, 5


class Dimension(models.TextChoices):
    """The five SERVQUAL dimensions (Parasuraman, Zeithaml and Berry, 1988), and the overall item."""

    TANGIBLES = "tangibles", _("Tangibles")
    RELIABILITY = "reliability", _("Reliability")
    RESPONSIVENESS = "responsiveness", _("Responsiveness")
    ASSURANCE = "assurance", _("Assurance")
    EMPATHY = "empathy", _("Empathy")
    OVERALL = "overall", _("Overall")


SERVQUAL = [d for d in Dimension if d != Dimension.OVERALL]
OVERALL_CODE = "OV"


class Question(models.Model):
    """One item of the questionnaire, on the 5-point scale (administrators edit these as data)."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    text = models.CharField(_("question"), max_length=200)
    text_en = models.CharField(_("English question"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return f"{self.code} {self.text}"

    @property
    def local_text(self) -> str:
        english = (get_language() or "").startswith("en")
        return self.text_en if english and self.text_en else self.text


class SurveyRule(models.Model):
    """Which share of a service type's closed cases is followed up (100 = every case, 0 = none)."""

    service_type = models.OneToOneField(
        ServiceType, verbose_name=_("service type"), on_delete=models.CASCADE, related_name="survey_rule"
    )
    # xgettext:no-python-format
    share_percent = models.PositiveSmallIntegerField(_("share of cases surveyed (%)"), default=30)
    is_called_back_when_expired = models.BooleanField(
        _("call back when the SMS survey expires unanswered"),
        default=False,
        help_text=_("The callback queue calls the customer whose survey link expired without an answer."),
    )

    class Meta:
        verbose_name = _("survey rule")
        verbose_name_plural = _("survey rules")
        ordering = ["service_type__sort_order"]
        constraints = [
            models.CheckConstraint(condition=Q(share_percent__lte=100), name="survey_rule_share_range"),
        ]

    def __str__(self):
        return f"{self.service_type.code}: {self.share_percent}%"


class SurveyQuerySet(VisibleQuerySet):
    org_field = "org_unit"


class Survey(models.Model):
    """The follow-up of one closed case: how the customer is asked, and the outcome or answer."""

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting answer")
        ANSWERED = "answered", _("Answered")
        UNREACHABLE = "unreachable", _("Unreachable")
        REFUSED = "refused", _("Refused")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        NOT_DUE = "not_due", _("Not due")
        WITHDRAWN = "withdrawn", _("Withdrawn (case reopened)")

    class Method(models.TextChoices):
        SMS = "sms", _("SMS link")
        CALLBACK = "callback", _("Phone callback")
        NONE = "none", _("None")

    class Exclusion(models.TextChoices):
        NONE = "", _("None")
        NOT_SAMPLED = "not_sampled", _("Not in the sample")
        RECENTLY_SURVEYED = "recently_surveyed", _("Customer surveyed within 30 days")
        CANCELLED = "cancelled", _("Case cancelled")
        NEVER = "never", _("Service type not surveyed")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("case"), on_delete=models.CASCADE, related_name="surveys"
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Indexed by survey_unit_closed_figures, which leads with it.
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    service_type = models.ForeignKey(
        ServiceType, verbose_name=_("service type"), on_delete=models.PROTECT, related_name="+"
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    case_closed_at = models.DateTimeField(_("case closed at"))
    created_at = models.DateTimeField(_("created at"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.NONE)
    exclusion = models.CharField(_("not due because"), max_length=20, choices=Exclusion.choices, blank=True)
    sms_expires_at = models.DateTimeField(_("link expires at"), null=True, blank=True)
    callback_ticket = models.OneToOneField(
        Ticket,
        verbose_name=_("callback ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callback_survey",
    )
    outcome_at = models.DateTimeField(_("outcome recorded at"), null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The answer (state answered). Item scores by question code, None = not applicable.
    scores = models.JSONField(_("scores"), default=dict, blank=True)
    overall = models.PositiveSmallIntegerField(_("overall"), null=True, blank=True)
    is_solved = models.BooleanField(_("problem solved"), null=True, blank=True)
    comment = models.TextField(_("other comments"), blank=True)
    lowest_score = models.PositiveSmallIntegerField(_("lowest item score"), null=True, blank=True)
    # Per dimension: the sum and the number of the items answered (not applicable left out), so a
    # dimension score over any set of answers is sum(sums) / sum(counts), in one aggregate.
    tangibles_sum = models.PositiveSmallIntegerField(default=0)
    tangibles_n = models.PositiveSmallIntegerField(default=0)
    reliability_sum = models.PositiveSmallIntegerField(default=0)
    reliability_n = models.PositiveSmallIntegerField(default=0)
    responsiveness_sum = models.PositiveSmallIntegerField(default=0)
    responsiveness_n = models.PositiveSmallIntegerField(default=0)
    assurance_sum = models.PositiveSmallIntegerField(default=0)
    assurance_n = models.PositiveSmallIntegerField(default=0)
    empathy_sum = models.PositiveSmallIntegerField(default=0)
    empathy_n = models.PositiveSmallIntegerField(default=0)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-case_closed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=~Q(state="withdrawn"), name="one_current_survey_per_case"
            ),
            models.CheckConstraint(
                condition=Q(overall__isnull=True) | Q(overall__gte=1, overall__lte=5),
                name="survey_overall_range",
            ),
            models.CheckConstraint(
                condition=~Q(state="answered") | Q(overall__isnull=False), name="survey_answer_has_overall"
            ),
        ]
        indexes = [
            # The figures of a unit and a period are read from this index alone (PostgreSQL covering
            # index): a quarter's answers sit together here, not on as many table pages as answers.
            models.Index(
                fields=["org_unit", "case_closed_at"],
                include=[
                    "id",
                    "state",
                    "overall",
                    "is_solved",
                    "service_type",
                    "handler",
                    *(
                        f"{d}_{part}"
                        for d in Dimension.values
                        if d != Dimension.OVERALL
                        for part in ("sum", "n")
                    ),
                ],
                name="survey_unit_closed_figures",
            ),
            # Unanswered SMS surveys by the time their link expires: the sweep that calls them back.
            models.Index(
                fields=["service_type", "sms_expires_at"],
                name="survey_sms_awaiting",
                condition=Q(state="pending", method="sms"),
            ),
            models.Index(
                fields=["customer", "created_at"],
                name="survey_customer_recent",
                condition=Q(state__in=["pending", "answered", "unreachable", "refused", "wrong_number"]),
            ),
            models.Index(
                fields=["phone", "created_at"],
                name="survey_phone_recent",
                condition=Q(state__in=["pending", "answered", "unreachable", "refused", "wrong_number"]),
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.state}"

    @property
    def reference(self) -> str:
        return self.ticket.reference

    @property
    def is_due(self) -> bool:
        return self.state not in (self.State.NOT_DUE, self.State.WITHDRAWN)

    @property
    def is_open(self) -> bool:
        return self.state == self.State.PENDING


class ItemScoreQuerySet(VisibleQuerySet):
    org_field = "org_unit"


class ItemScoreDay(models.Model):
    """The item scores of the answers to one unit's cases closed on one local day: their sum and count
    per question (not applicable left out), so an item's mean over any period sums a few rows per
    day instead of reading every answer. Written with the answer, in its transaction."""

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day the cases closed"))
    question_code = models.CharField(_("question"), max_length=10)
    total = models.PositiveIntegerField(_("sum of the scores"), default=0)
    answers = models.PositiveIntegerField(_("answers"), default=0)

    objects = ItemScoreQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "day", "question_code"], name="one_item_score_day"),
        ]

    def __str__(self):
        return f"{self.org_unit_id} {self.day} {self.question_code}"


DUE_STATES = [s for s in Survey.State if s not in (Survey.State.NOT_DUE, Survey.State.WITHDRAWN)]
OUTCOME_STATES = [s for s in DUE_STATES if s != Survey.State.PENDING]


class CallbackAttempt(models.Model):
    """One phone call of the callback queue and what came of it."""

    class Outcome(models.TextChoices):
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Line busy")
        ANSWERED = "answered", _("Answered the survey")
        REFUSED = "refused", _("Declined the survey")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(_("called at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    counts_as_try = models.BooleanField(_("counts towards unreachable"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")
        ordering = ["survey", "at", "id"]

    def __str__(self):
        return f"{self.survey_id} {self.outcome}"


class RecoveryQuerySet(VisibleQuerySet):
    org_field = "ticket__org_unit"


class Recovery(models.Model):
    """Service recovery (服务补救) after an unhappy answer: a ticket for the outlet supervisor."""

    survey = models.OneToOneField(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="recovery"
    )
    ticket = models.OneToOneField(
        Ticket, verbose_name=_("recovery ticket"), on_delete=models.CASCADE, related_name="recovery"
    )
    original = models.ForeignKey(
        Ticket, verbose_name=_("original case"), on_delete=models.CASCADE, related_name="recoveries"
    )
    # The survey's unit and the case's closure, copied when the recovery opens (neither changes): the
    # recovery figures of a unit and a period read the recoveries alone, not every survey.
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    case_closed_at = models.DateTimeField(_("case closed at"))
    reasons = models.JSONField(_("reasons"), default=list)
    is_repeat = models.BooleanField(_("second unhappy answer within 90 days"), default=False)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    action_taken = models.TextField(_("what was done"), blank=True)
    is_customer_satisfied = models.BooleanField(_("customer now satisfied"), null=True, blank=True)

    objects = RecoveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("service recovery")
        verbose_name_plural = _("service recoveries")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(is_customer_satisfied__isnull=False),
                name="closed_recovery_has_result",
            ),
        ]
        indexes = [models.Index(fields=["org_unit", "case_closed_at"], name="recovery_unit_closed")]

    def __str__(self):
        return self.ticket.reference

    @property
    def reference(self) -> str:
        return self.ticket.reference


class Measure(models.TextChoices):
    """What an improvement action watches (the same unit, 8 weeks before against 8 weeks after)."""

    COMPLAINTS_PER_10K = "complaints_per_10k", _("Complaints of a category per 10,000 customers")
    ON_TIME_RATE = "on_time_rate", _("On-time rate of a service type (%)")
    DIMENSION_SCORE = "dimension_score", _("Satisfaction dimension score (1-5)")


# Complaints should go down; on-time rates and scores up.
LOWER_IS_BETTER = {Measure.COMPLAINTS_PER_10K}


class ImprovementQuerySet(VisibleQuerySet):
    org_field = "org_unit"


class ImprovementAction(models.Model):
    """An improvement action (PDCA): a problem in a unit, a plan with an owner and a due date (a ticket
    on the deadline engine), a measure and its target, and the check of its effect."""

    class Status(models.TextChoices):
        OPEN = "open", _("Plan being carried out")
        CHECKING = "checking", _("Done: effect being measured")
        EFFECTIVE = "effective", _("Closed: effective")
        NOT_EFFECTIVE = "not_effective", _("Closed: not effective")

    class Source(models.TextChoices):
        ROOT_CAUSE = "root_cause", _("Complaint root cause")
        DIMENSION = "dimension", _("Low dimension score")

    ticket = models.OneToOneField(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="improvement_action"
    )
    problem = models.TextField(_("problem"))
    source = models.CharField(_("found through"), max_length=20, choices=Source.choices)
    source_detail = models.CharField(_("root cause or dimension"), max_length=40)
    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    plan = models.TextField(_("plan"))
    due_date = models.DateField(_("due date"))
    measure = models.CharField(_("measure"), max_length=30, choices=Measure.choices)
    measure_subject = models.CharField(
        _("of"), max_length=40, help_text=_("Complaint category, service type code or dimension.")
    )
    target = models.DecimalField(_("target"), max_digits=8, decimal_places=2)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = ImprovementQuerySet.as_manager()

    class Meta:
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["org_unit", "status"], name="improvement_unit_status")]

    def __str__(self):
        return self.ticket.reference

    @property
    def reference(self) -> str:
        return self.ticket.reference

    @property
    def lower_is_better(self) -> bool:
        return self.measure in LOWER_IS_BETTER

    @property
    def source_detail_label(self) -> str:
        """The root cause or dimension by its name, not its code."""
        if self.source == self.Source.DIMENSION and self.source_detail in Dimension.values:
            return str(Dimension(self.source_detail).label)
        from complaints.models import RootCause

        return (
            str(RootCause(self.source_detail).label)
            if self.source_detail in RootCause.values
            else self.source_detail
        )

    @property
    def measure_subject_label(self) -> str:
        """What is measured, by name: a dimension's name, else the code (category or service type)."""
        if self.measure == Measure.DIMENSION_SCORE and self.measure_subject in Dimension.values:
            return str(Dimension(self.measure_subject).label)
        return self.measure_subject


class ImprovementCheck(models.Model):
    """One round of PDCA: the plan carried out, the measure before and after, and the verdict."""

    action = models.ForeignKey(ImprovementAction, on_delete=models.CASCADE, related_name="checks")
    plan = models.TextField(_("plan"))
    done_at = models.DateTimeField(_("done at"))
    before_from = models.DateField(_("before: from"))
    before_value = models.DecimalField(_("before"), max_digits=8, decimal_places=2, null=True)
    after_to = models.DateField(_("after: to"))
    after_value = models.DecimalField(_("after"), max_digits=8, decimal_places=2, null=True)
    is_effective = models.BooleanField(_("effective"))
    checked_at = models.DateTimeField(_("checked at"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("improvement check")
        verbose_name_plural = _("improvement checks")
        ordering = ["action", "checked_at", "id"]

    def __str__(self):
        return f"{self.action_id} {self.checked_at:%Y-%m-%d}"
