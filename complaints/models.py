"""The complaint file: a ticket (one-to-one) with the ISO 10002 steps and their records."""

import re
import unicodedata

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, OrgUnit
from accounts.visibility import VisibleQuerySet
from tickets.models import Ticket

# Repeat detection looks back this far (the published rule: same account, phone or address).
REPEAT_WINDOW_DAYS = 90
# Addresses shorter than this once normalised ("1号") are too vague to call two complaints related.
MIN_ADDRESS_KEY_LENGTH = 6

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize_address(value: str) -> str:
    """Full-width to half-width, lower case, no spaces or punctuation ("解放碑路 1号" == "解放碑路１号")."""
    key = _NOT_WORD.sub("", unicodedata.normalize("NFKC", value or "").lower())
    return key if len(key) >= MIN_ADDRESS_KEY_LENGTH else ""


class ComplaintCategory(models.Model):
    """What customers complain about: a category or (with a parent) a sub-category; data, not code."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_safety = models.BooleanField(
        _("safety matter"),
        default=False,
        help_text=_("Complaints in it follow the safety complaint standard."),
    )
    is_supply = models.BooleanField(
        _("gas supply matter"),
        default=False,
        help_text=_("12345 orders in it get the 24-hour feedback deadline for supply or safety matters."),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("complaint category")
        verbose_name_plural = _("complaint categories")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language (the Chinese name is the default)."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Source(models.TextChoices):
    WEB = "web", _("Web form")
    SERVICE_HALL = "service_hall", _("Service hall")
    HOTLINE = "hotline", _("Hotline")
    CITY_HOTLINE = "city_hotline", _("12345 city hotline")
    LETTER = "letter", _("Letter")
    MEDIA = "media", _("Media")
    REGULATOR = "regulator", _("Regulator")


class RootCause(models.TextChoices):
    BILLING_ERROR = "billing_error", _("Billing or reading error")
    POLICY = "policy", _("Policy or tariff rule")
    PROCESS = "process", _("Cumbersome or unclear process")
    STAFF_CONDUCT = "staff_conduct", _("Staff attitude or conduct")
    COMMUNICATION = "communication", _("Poor information or communication")
    WORKMANSHIP = "workmanship", _("Quality of work")
    DELAY = "delay", _("Delay beyond the promised time")
    EQUIPMENT = "equipment", _("Equipment or network fault")
    THIRD_PARTY = "third_party", _("Third party")
    MISUNDERSTANDING = "misunderstanding", _("Customer misunderstanding")
    OTHER = "other", _("Other")


class Remedy(models.TextChoices):
    NONE = "none", _("None")
    APOLOGY = "apology", _("Apology")
    CORRECTION = "correction", _("Correction")
    COMPENSATION = "compensation", _("Compensation")
    BILL_CREDIT = "bill_credit", _("Bill credit")


class Stage(models.TextChoices):
    """Where the complaint stands in its steps (derived, see Complaint.stage)."""

    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INVESTIGATED = "investigated", _("Investigated")
    RESPONDED = "responded", _("Answered")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class ComplaintQuerySet(VisibleQuerySet):
    org_field = "ticket__org_unit"
    filer_field = "ticket__created_by"


class Complaint(models.Model):
    """The complaint file of a ticket: who complains, about what, and each step's record."""

    ticket = models.OneToOneField(
        Ticket, verbose_name=_("ticket"), primary_key=True, on_delete=models.CASCADE, related_name="complaint"
    )
    category = models.ForeignKey(
        ComplaintCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="complaints"
    )
    sub_category = models.ForeignKey(
        ComplaintCategory,
        verbose_name=_("sub-category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sub_complaints",
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    # The complainant: the account when known (and verified), else name and phone.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    complainant_name = models.CharField(_("complainant"), max_length=100)
    complainant_phone = models.CharField(_("phone"), max_length=20)
    complainant_email = models.EmailField(_("email"), blank=True)
    complainant_address = models.CharField(_("address"), max_length=200, blank=True)
    address_key = models.CharField(_("normalised address"), max_length=200, blank=True, editable=False)
    account_no_given = models.CharField(
        _("account number given"),
        max_length=12,
        blank=True,
        help_text=_("As typed by the complainant; linked to the account only when the phone matches."),
    )
    requested_remedy = models.TextField(_("what the complainant asks for"), blank=True)
    consent_at = models.DateTimeField(_("consent to personal data processing"), null=True, blank=True)
    # Copied from the ticket: the repeat-detection indexes need it beside phone/account/address.
    received_at = models.DateTimeField(_("received at"))
    # Steps.
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("complainant contacted at"), null=True, blank=True)
    investigated_at = models.DateTimeField(_("investigated at"), null=True, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    is_substantiated = models.BooleanField(_("substantiated"), null=True, blank=True)
    root_cause = models.CharField(_("root cause"), max_length=30, choices=RootCause.choices, blank=True)
    department_at_fault = models.ForeignKey(
        OrgUnit,
        verbose_name=_("department at fault"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_at_fault",
    )
    response_text = models.TextField(_("answer sent"), blank=True)
    remedy = models.CharField(_("remedy"), max_length=20, choices=Remedy.choices, blank=True)
    remedy_amount = models.DecimalField(
        _("remedy amount (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    customer_accepted = models.BooleanField(_("customer accepted the answer"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    appeal_reason = models.TextField(_("appeal reason"), blank=True)
    # Repeats: the earliest complaint of the chain, so a chain is one indexed lookup.
    is_repeat = models.BooleanField(_("repeat complaint"), default=False)
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("first complaint of the chain"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeats",
    )
    related_tickets = models.ManyToManyField(
        Ticket, verbose_name=_("related cases"), blank=True, related_name="related_complaints"
    )

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["complainant_phone", "received_at"], name="complaint_phone_received"),
            models.Index(fields=["customer", "received_at"], name="complaint_customer_received"),
            models.Index(
                fields=["address_key", "received_at"],
                name="complaint_address_received",
                condition=~Q(address_key=""),
            ),
            models.Index(fields=["category", "received_at"], name="complaint_category_received"),
            models.Index(fields=["source", "received_at"], name="complaint_source_received"),
            models.Index(
                fields=["received_at"], name="complaint_repeat_received", condition=Q(is_repeat=True)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(remedy_amount__isnull=True) | Q(remedy_amount__gte=0),
                name="complaint_remedy_amount_ge_0",
            ),
            models.CheckConstraint(
                condition=Q(repeat_of__isnull=True) | ~Q(repeat_of=models.F("ticket")),
                name="complaint_not_own_repeat",
            ),
        ]

    def __str__(self):
        return str(self.ticket_id and self.ticket.reference)

    def save(self, *args, **kwargs):
        self.address_key = normalize_address(self.complainant_address)
        super().save(*args, **kwargs)

    @property
    def reference(self) -> str:
        return self.ticket.reference

    @property
    def stage(self) -> str:
        status = self.ticket.status
        if status == "cancelled":
            return Stage.CANCELLED
        if self.closed_at and status == "closed":
            return Stage.CLOSED
        if self.responded_at:
            return Stage.RESPONDED
        if self.investigated_at:
            return Stage.INVESTIGATED
        if self.acknowledged_at:
            return Stage.ACKNOWLEDGED
        return Stage.RECEIVED

    def get_stage_display(self) -> str:
        return Stage(self.stage).label
