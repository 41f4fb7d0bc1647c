"""Validators for Chinese account numbers, phone numbers and resident ID numbers."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ACCOUNT_NO_RE = re.compile(r"^\d{10}$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
ID_NUMBER_RE = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"


def validate_account_no(value: str) -> None:
    if not ACCOUNT_NO_RE.match(value or ""):
        raise ValidationError(_("An account number is 10 digits."), code="invalid_account_no")


def validate_mobile(value: str) -> None:
    if value and not MOBILE_RE.match(value):
        raise ValidationError(
            _("Enter a mainland China mobile number: 11 digits starting with 13-19."), code="invalid_mobile"
        )


def validate_landline(value: str) -> None:
    if value and not LANDLINE_RE.match(value):
        raise ValidationError(
            _("Enter a landline with its area code, e.g. 023-61234567."), code="invalid_landline"
        )


def is_mobile(value: str) -> bool:
    """A number that can take an SMS."""
    return bool(MOBILE_RE.match(value or ""))


def is_phone(value: str) -> bool:
    """A number to call back on: a mobile or a landline with its area code."""
    return bool(MOBILE_RE.match(value or "") or LANDLINE_RE.match(value or ""))


def validate_phone(value: str) -> None:
    """The check of a number to call back on, with one message wherever it is made."""
    if value and not is_phone(value):
        raise ValidationError(
            _(
                "Enter a mobile number (11 digits starting with 13-19) or a landline with its area code, "
                "e.g. 023-61234567."
            ),
            code="invalid_phone",
        )


def validate_id_number(value: str) -> None:
    """18-character resident identity number with its ISO 7064 check character (GB 11643)."""
    if not value:
        return
    value = value.upper()
    if not ID_NUMBER_RE.match(value):
        raise ValidationError(
            _("An ID number is 17 digits and a check digit or X."), code="invalid_id_number"
        )
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        raise ValidationError(_("This ID number's check digit is wrong."), code="invalid_id_number")


def normalize_landline(value: str) -> str:
    """Store landlines one way, area code and dash: 02361234567 -> 023-61234567.

    Area codes starting 01/02 (Beijing, Shanghai, Chongqing...) have three digits, others four.
    """
    value = (value or "").strip().replace(" ", "")
    if not value or "-" in value or not value.isdigit() or not value.startswith("0"):
        return value
    area = 3 if value[1] in "12" else 4
    return f"{value[:area]}-{value[area:]}"
