"""State changes of customers and staff: one function each, keyword-only, one transaction.

Every broken rule is raised as django.core.exceptions.ValidationError with a field dict and
a message a clerk can read; the API and the forms show it next to the field.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import Customer, OrgUnit, PersonalDataView, Role, StaffProfile
from .roles import sync_staff_groups
from .validators import normalize_landline

CUSTOMER_FIELDS = (
    "account_no",
    "name",
    "category",
    "sub_category",
    "mobile",
    "landline",
    "id_number",
    "address",
    "outlet",
    "is_key_account",
    "account_manager",
    "status",
    "notes",
)
# account_no is the key used everywhere (receipts, URLs, other systems): never changed by an edit.
UPDATABLE_CUSTOMER_FIELDS = tuple(f for f in CUSTOMER_FIELDS if f != "account_no")
# A customer's personal data fields; a case's contact phone (ticket, complaint) is logged the same way.
PERSONAL_DATA_FIELDS = ("mobile", "landline", "id_number")
CASE_CONTACT_FIELDS = ("contact_phone", "complainant_phone")


def _clean_customer(customer: Customer, *, actor=None) -> None:
    """Field validation plus the rules that span fields; raises one ValidationError with all errors."""
    errors = {}
    customer.name = (customer.name or "").strip()
    customer.address = (customer.address or "").strip()
    customer.mobile = (customer.mobile or "").strip().replace(" ", "")
    customer.landline = normalize_landline(customer.landline)
    customer.id_number = (customer.id_number or "").strip().upper()
    try:
        customer.full_clean(validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if customer.category_id and customer.category.parent_id:
        errors.setdefault("category", []).append(
            _("Choose a main category; the finer one goes in sub-category.")
        )
    if customer.sub_category_id and customer.sub_category.parent_id != customer.category_id:
        errors.setdefault("sub_category", []).append(
            _("This sub-category does not belong to the chosen category.")
        )
    if customer.outlet_id and customer.outlet.kind != OrgUnit.Kind.OUTLET:
        # Replaces limit_choices_to's generic "not a valid choice".
        errors["outlet"] = [_("The responsible unit must be a service outlet.")]
    elif (
        actor is not None
        and customer.outlet_id
        and not OrgUnit.objects.visible_to(actor).filter(pk=customer.outlet_id).exists()
    ):
        # Staff open and move accounts only among the outlets of their own part of the organisation.
        errors["outlet"] = [_("You can only choose an outlet of your own organisation unit.")]
    if customer.is_key_account and not customer.account_manager_id:
        errors.setdefault("account_manager", []).append(_("A key account needs an account manager."))
    if "account_no" not in errors and customer.account_no:
        clash = Customer.objects.filter(account_no=customer.account_no).exclude(pk=customer.pk)
        if clash.exists():
            errors["account_no"] = [_("Account number %(no)s already exists.") % {"no": customer.account_no}]
    if errors:
        raise ValidationError(errors)


def _save_customer(customer: Customer) -> None:
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:
        # A concurrent create won the race for this account number.
        raise ValidationError(
            {"account_no": [_("Account number %(no)s already exists.") % {"no": customer.account_no}]}
        ) from exc


def create_customer(*, actor, **fields) -> Customer:
    """Open a gas account. `fields` are Customer fields (category/outlet as objects)."""
    unknown = set(fields) - set(CUSTOMER_FIELDS)
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    customer = Customer(**fields)
    with transaction.atomic():
        _clean_customer(customer, actor=actor)
        _save_customer(customer)
    return customer


def update_customer(*, customer: Customer, actor, **fields) -> Customer:
    """Change a gas account's details (PATCH semantics: only the given fields)."""
    if "account_no" in fields and fields["account_no"] != customer.account_no:
        raise ValidationError({"account_no": [_("An account number cannot be changed.")]})
    fields.pop("account_no", None)
    unknown = set(fields) - set(UPDATABLE_CUSTOMER_FIELDS)
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(customer, name, value)
    with transaction.atomic():
        _clean_customer(customer, actor=actor if "outlet" in fields else None)
        _save_customer(customer)
    return customer


def record_personal_data_view(
    *, user, fields, customer: Customer | None = None, subject: str = "", ip=None
) -> PersonalDataView:
    """Log that `user` saw `fields` (phones, ID number) in full: of `customer`, or of the case `subject`."""
    fields = [f for f in fields if f in PERSONAL_DATA_FIELDS or f in CASE_CONTACT_FIELDS]
    if not fields:
        raise ValidationError(_("Nothing to show in full."))
    if customer is None and not subject:
        raise ValidationError(_("Say whose personal data was shown."))
    with transaction.atomic():
        return PersonalDataView.objects.create(
            user=user, customer=customer, subject=subject[:40], fields=",".join(fields), ip_address=ip or None
        )


def create_staff(
    *,
    username: str,
    password: str | None,
    role: str,
    org_unit: OrgUnit,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    mobile: str = "",
    is_superuser: bool = False,
):
    """Create a staff user with their profile and put them in their role's group."""
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role.")]})
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise ValidationError({"username": [_("This username is taken.")]})
    with transaction.atomic():
        user = user_model(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            is_staff=is_superuser or role == Role.ADMINISTRATOR,
            is_superuser=is_superuser,
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        profile = StaffProfile(user=user, org_unit=org_unit, role=role, mobile=mobile)
        profile.full_clean(exclude=["user"])
        profile.save()
        sync_staff_groups(user)
    return user


def set_staff_role(*, user, role: str, org_unit: OrgUnit | None = None):
    """Move a staff member to another role (and unit); their Django groups follow."""
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role.")]})
    with transaction.atomic():
        profile = StaffProfile.objects.select_for_update().filter(user=user).first()
        if profile is None:
            if org_unit is None:
                raise ValidationError({"org_unit": [_("Choose the staff member's unit.")]})
            profile = StaffProfile(user=user, org_unit=org_unit, role=role)
        else:
            profile.role = role
            if org_unit is not None:
                profile.org_unit = org_unit
        profile.save()
        user.staff_profile = profile
        sync_staff_groups(user)
    return user
