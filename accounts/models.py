"""Customers (gas accounts), the organisation tree and staff roles."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Right
from django.utils.translation import gettext_lazy as _

from .roles import Role
from .validators import validate_account_no, validate_id_number, validate_landline, validate_mobile
from .visibility import VisibleQuerySet

__all__ = ["Role"]


class Segment(models.TextChoices):
    """Customer segment: which published standard applies."""

    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Commercial")
    INDUSTRIAL = "industrial", _("Industrial")


class OrgUnitQuerySet(VisibleQuerySet):
    org_field = ""


class OrgUnit(models.Model):
    """A node of the three-level organisation: centre -> branches -> outlets / call centre.

    `path` is the materialised path of codes ("/GSC/BR01/OUT01/"), so a subtree is one
    indexed prefix match.
    """

    class Kind(models.TextChoices):
        CENTRE = "centre", _("Group customer service centre")
        BRANCH = "branch", _("Branch")
        OUTLET = "outlet", _("Service outlet")
        CALL_CENTRE = "call_centre", _("Call centre")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, editable=False, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    opening_hours = models.CharField(
        _("opening hours"),
        max_length=100,
        blank=True,
        help_text=_("As printed for customers, e.g. 周一至周日 8:30-17:30"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="orgunit_path_prefix", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.path = f"{self.parent.path if self.parent_id else '/'}{self.code}/"
        super().save(*args, **kwargs)

    def ancestors(self):
        """Units above this one, nearest first (outlet -> branch -> centre)."""
        codes = [c for c in self.path.strip("/").split("/")][:-1]
        units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
        return [units[c] for c in reversed(codes) if c in units]


class OrganisationProfile(models.Model):
    """The company as customers see it, on receipts, SMS and email texts and the public pages.

    One row, edited in the admin; without it the settings' SITE_NAME and SERVICE_HOTLINE stand in.
    """

    name = models.CharField(_("company name"), max_length=100)
    name_en = models.CharField(_("English company name"), max_length=150, blank=True)
    sms_signature = models.CharField(
        _("SMS signature"), max_length=20, blank=True, help_text=_("The short name SMS texts start with.")
    )
    hotline = models.CharField(_("customer service hotline"), max_length=30)
    website = models.URLField(_("website"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("organisation profile")
        verbose_name_plural = _("organisation profile")

    def __str__(self):
        return self.name

    @classmethod
    def current(cls) -> "OrganisationProfile":
        """The profile row, or one made from the settings (unsaved) while none is kept."""
        profile = cls.objects.order_by("pk").first()
        if profile is None:
            profile = cls(name=settings.SITE_NAME, hotline=getattr(settings, "SERVICE_HOTLINE", ""))
        return profile

    @property
    def local_name(self) -> str:
        from django.utils.translation import get_language

        english = (get_language() or "").startswith("en")
        return self.name_en if english and self.name_en else self.name

    @property
    def signature(self) -> str:
        return self.sms_signature or self.name


class StaffProfile(models.Model):
    """A staff member's place in the organisation and role (mapped to a Django group)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="staff"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    mobile = models.CharField(_("mobile phone"), max_length=20, blank=True, validators=[validate_mobile])

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        indexes = [models.Index(fields=["org_unit", "role"])]

    def __str__(self):
        return f"{self.user.get_full_name() or self.user.get_username()} ({self.get_role_display()})"


class CustomerCategory(models.Model):
    """Customer category or sub-category (data, not code); each maps to one segment."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sub_categories",
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("customer category")
        verbose_name_plural = _("customer categories")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class CustomerQuerySet(VisibleQuerySet):
    org_field = "outlet"


class Customer(models.Model):
    """A gas account. `account_no` is the key used everywhere (URLs, API, receipts)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")

    account_no = models.CharField(
        _("account number"), max_length=12, unique=True, validators=[validate_account_no]
    )
    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(
        CustomerCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="customers"
    )
    sub_category = models.ForeignKey(
        CustomerCategory,
        verbose_name=_("sub-category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sub_customers",
    )
    mobile = models.CharField(_("mobile phone"), max_length=11, blank=True, validators=[validate_mobile])
    landline = models.CharField(_("landline"), max_length=20, blank=True, validators=[validate_landline])
    id_number = models.CharField(_("ID number"), max_length=18, blank=True, validators=[validate_id_number])
    address = models.CharField(_("address"), max_length=200)
    outlet = models.ForeignKey(
        OrgUnit,
        verbose_name=_("responsible outlet"),
        on_delete=models.PROTECT,
        related_name="customers",
        limit_choices_to={"kind": OrgUnit.Kind.OUTLET},
    )
    is_key_account = models.BooleanField(_("key account"), default=False)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_accounts",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["account_no"]
        # Trigram indexes on name and address (PostgreSQL only) are created by migration 0002.
        indexes = [
            models.Index(fields=["mobile"], name="customer_mobile"),
            models.Index(fields=["landline"], name="customer_landline"),
            # The front desk's "last 4 digits of the phone" search.
            models.Index(Right("mobile", 4), name="customer_mobile_tail"),
            models.Index(Right("landline", 4), name="customer_landline_tail"),
            models.Index(fields=["outlet", "account_no"], name="customer_outlet_account"),
        ]

    def __str__(self):
        return f"{self.account_no} {self.name}"

    @property
    def segment(self) -> str:
        return self.category.segment


class PersonalDataView(models.Model):
    """Audit record: a staff member saw a phone or ID number in full (a customer's, or a case's contact)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), null=True, blank=True, on_delete=models.CASCADE
    )
    subject = models.CharField(_("case reference"), max_length=40, blank=True)
    fields = models.CharField(_("fields"), max_length=100)
    viewed_at = models.DateTimeField(_("viewed at"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal data view")
        verbose_name_plural = _("personal data views")
        ordering = ["-viewed_at"]
        indexes = [models.Index(fields=["customer", "-viewed_at"], name="pdv_customer_viewed")]

    def __str__(self):
        return f"{self.user} {self.subject or self.customer_id} {self.fields} {self.viewed_at:%Y-%m-%d %H:%M}"
