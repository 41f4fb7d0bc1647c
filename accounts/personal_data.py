"""Personal data has one path: masked wherever it is shown, in full only through `reveal`.

Pages, the API, timeline events, exports, the admin and receipts show phones and ID numbers
through `masked` (or the `masked` template filter); a full value is handed out only by
`reveal`, which checks the role (accounts.roles) and records the view (PersonalDataView).
tests/accounts/test_personal_data_path.py greps templates and serializers for direct use.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from rest_framework import serializers

from .masking import mask_id_number, mask_phone
from .roles import may_see_full_personal_data

# Field name -> how it is masked. Customers' fields and a case's contact phones.
PHONE_FIELDS = ("mobile", "landline", "contact_phone", "complainant_phone")
ID_FIELDS = ("id_number",)
PERSONAL_FIELDS = PHONE_FIELDS + ID_FIELDS
REVEAL_VALUES = ("1", "true", "yes")


def masked(field: str, value) -> str:
    """`value` of the personal field `field` as lists, exports and unrevealed pages show it."""
    if field in ID_FIELDS:
        return mask_id_number(value or "")
    return mask_phone(value or "")


def masked_data(data):
    """A copy of an event's data with every personal field's value masked, at any depth."""
    if isinstance(data, dict):
        return {
            key: masked(key, value)
            if key in PERSONAL_FIELDS and isinstance(value, str)
            else masked_data(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [masked_data(item) for item in data]
    return data


def personal_fields_in(data) -> set[str]:
    """The personal fields that hold a value anywhere in an event's data."""
    if isinstance(data, dict):
        found = {key for key, value in data.items() if key in PERSONAL_FIELDS and value}
        return found.union(*(personal_fields_in(value) for value in data.values()))
    if isinstance(data, list):
        return set().union(*(personal_fields_in(item) for item in data))
    return set()


def may_reveal(user) -> bool:
    """The roles that call customers back may ask for phones and ID numbers in full."""
    return may_see_full_personal_data(user)


def asks_to_reveal(request) -> bool:
    """`?reveal=1` on a GET (the API's way of asking for the full values)."""
    params = getattr(request, "query_params", request.GET)
    return request.method == "GET" and params.get("reveal", "").lower() in REVEAL_VALUES


def reveal(*, user, fields, customer=None, subject: str = "", ip=None) -> list[str]:
    """Allow `user` to see `fields` in full and record it; returns the fields recorded.

    Raises PermissionDenied for a role that may not see personal data in full. Empty fields
    (nothing to show) are not recorded.
    """
    from .services import record_personal_data_view

    if not may_reveal(user):
        raise PermissionDenied(_("Your role may not see personal data in full."))
    fields = [f for f in fields if f]
    if fields:
        record_personal_data_view(user=user, customer=customer, subject=subject, fields=fields, ip=ip)
    return fields


def reveal_if_asked(request, *, fields, customer=None, subject: str = "") -> bool:
    """The API's reveal: True (and recorded) when `?reveal=1` comes from a role allowed to see.

    A role that may not see gets the masked values, as before (no error: the answer is the same
    shape). `fields` are the personal fields that hold a value.
    """
    if not (asks_to_reveal(request) and may_reveal(request.user)):
        return False
    reveal(
        user=request.user,
        fields=fields,
        customer=customer,
        subject=subject,
        ip=request.META.get("REMOTE_ADDR") or None,
    )
    return True


class PersonalDataField(serializers.CharField):
    """A phone or ID number in the API: masked unless the serializer's context says `reveal`.

    The view sets `reveal` only after `reveal_if_asked` has checked the role and recorded the view.
    """

    def __init__(self, *, personal_field: str, **kwargs):
        if personal_field not in PERSONAL_FIELDS:
            raise ValueError(f"{personal_field} is not a personal data field")
        self.personal_field = personal_field
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        value = super().to_representation(value)
        return value if self.context.get("reveal") else masked(self.personal_field, value)


class MaskedPersonalDataAdmin:
    """ModelAdmin mixin: change and view pages show personal fields masked and read only.

    The admin offers no reveal: a full value is seen on the staff pages, where the view is
    recorded; phones are changed there too. `masked_json_fields` names JSON fields whose
    personal keys are masked (a timeline event's before/after data).
    """

    masked_json_fields: tuple[str, ...] = ()

    def _masked_name(self, name: str) -> str:
        return f"masked_{name}" if name in PERSONAL_FIELDS or name in self.masked_json_fields else name

    def get_fields(self, request, obj=None):
        names = [self._masked_name(name) for name in super().get_fields(request, obj)]
        return list(dict.fromkeys(names))  # in the field's own place, once

    def get_readonly_fields(self, request, obj=None):
        names = [self._masked_name(name) for name in super().get_readonly_fields(request, obj)]
        own = [f.name for f in self.model._meta.fields]
        extra = [self._masked_name(n) for n in own if self._masked_name(n) != n]
        return [*names, *(n for n in extra if n not in names)]

    @admin.display(description=_lazy("mobile phone"))
    def masked_mobile(self, obj):
        return masked("mobile", obj.mobile)

    @admin.display(description=_lazy("landline"))
    def masked_landline(self, obj):
        return masked("landline", obj.landline)

    @admin.display(description=_lazy("ID number"))
    def masked_id_number(self, obj):
        return masked("id_number", obj.id_number)

    @admin.display(description=_lazy("contact phone"))
    def masked_contact_phone(self, obj):
        return masked("contact_phone", obj.contact_phone)

    @admin.display(description=_lazy("complainant's phone"))
    def masked_complainant_phone(self, obj):
        return masked("complainant_phone", obj.complainant_phone)

    @admin.display(description=_lazy("details"))
    def masked_data(self, obj):
        return masked_data(obj.data)
