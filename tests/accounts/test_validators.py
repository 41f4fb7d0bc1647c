import pytest
from django.core.exceptions import ValidationError

from accounts.masking import mask_id_number, mask_name, mask_phone
from accounts.validators import (
    normalize_landline,
    validate_account_no,
    validate_id_number,
    validate_landline,
    validate_mobile,
    validate_phone,
)

GOOD, BAD = True, False


@pytest.mark.parametrize(
    "value, ok",
    [
        ("8000000001", GOOD),
        ("0000000000", GOOD),
        ("800000001", BAD),  # 9 digits
        ("80000000011", BAD),  # 11 digits
        ("80000O0001", BAD),  # letter O
        ("", BAD),
        (" 8000000001", BAD),
    ],
    ids=["10 digits", "leading zeros", "too short", "too long", "letter", "empty", "leading space"],
)
def test_account_number(value, ok):
    if ok:
        validate_account_no(value)
    else:
        with pytest.raises(ValidationError, match="10 digits"):
            validate_account_no(value)


@pytest.mark.parametrize(
    "value, ok",
    [
        ("13812345678", GOOD),
        ("19912345678", GOOD),
        ("", GOOD),  # optional
        ("12812345678", BAD),  # 12x is no mobile range
        ("1381234567", BAD),
        ("138123456789", BAD),
        ("+8613812345678", BAD),
        ("138-1234-5678", BAD),
    ],
    ids=["138", "199", "blank allowed", "12x prefix", "10 digits", "12 digits", "country code", "dashes"],
)
def test_mobile(value, ok):
    if ok:
        validate_mobile(value)
    else:
        with pytest.raises(ValidationError, match="11 digits"):
            validate_mobile(value)


@pytest.mark.parametrize(
    "value, ok",
    [
        ("023-61234567", GOOD),
        ("02361234567", GOOD),
        ("0755-1234567", GOOD),
        ("010-12345678-801", GOOD),  # extension
        ("61234567", BAD),  # no area code
        ("23-61234567", BAD),
        ("023-612345", BAD),
        ("023-6123456789", BAD),
    ],
    ids=[
        "chongqing",
        "no dash",
        "4-digit area code",
        "extension",
        "no area code",
        "no leading 0",
        "short",
        "long",
    ],
)
def test_landline(value, ok):
    if ok:
        validate_landline(value)
    else:
        with pytest.raises(ValidationError, match="area code"):
            validate_landline(value)


PHONE_MESSAGE = (
    "Enter a mobile number (11 digits starting with 13-19) or a landline with its area code, "
    "e.g. 023-61234567."
)


@pytest.mark.parametrize(
    "value, ok",
    [
        ("13812345678", GOOD),
        ("023-61234567", GOOD),
        ("010-12345678-801", GOOD),
        ("", GOOD),  # whether a phone is required is the caller's rule
        ("12812345678", BAD),
        ("61234567", BAD),
        ("12345", BAD),
    ],
    ids=["mobile", "landline", "landline with extension", "blank", "12x prefix", "no area code", "short"],
)
def test_phone_is_a_mobile_or_a_landline_with_one_message(value, ok):
    if ok:
        validate_phone(value)
    else:
        with pytest.raises(ValidationError) as caught:
            validate_phone(value)
        assert caught.value.messages == [PHONE_MESSAGE]


@pytest.mark.parametrize(
    "value, message",
    [
        ("11010519491231002X", None),
        ("11010519491231002x", None),  # lower-case x accepted
        ("500103199003071239", None),
        ("110105194912310021", "check digit"),
        ("11010519491231002", "17 digits"),
        ("1101051949123100AX", "17 digits"),
    ],
    ids=["valid X", "valid lower x", "valid digit", "wrong check digit", "17 chars", "letters"],
)
def test_id_number(value, message):
    if message is None:
        validate_id_number(value)
    else:
        with pytest.raises(ValidationError, match=message):
            validate_id_number(value)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("02361234567", "023-61234567"),
        ("075512345678", "0755-12345678"),
        ("023-61234567", "023-61234567"),
        ("", ""),
    ],
)
def test_landlines_are_stored_with_a_dash_after_the_area_code(value, expected):
    assert normalize_landline(value) == expected


@pytest.mark.parametrize(
    "func, value, expected",
    [
        (mask_phone, "13812345678", "138****5678"),
        (mask_phone, "023-61234567", "023-****4567"),
        (mask_phone, "", ""),
        (mask_id_number, "11010519491231002X", "1101**********002X"),
        (mask_id_number, "", ""),
        (mask_name, "张三丰", "张**"),
    ],
)
def test_masking(func, value, expected):
    assert func(value) == expected
