"""Customer and staff services: validation with clerk-readable field messages."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from accounts.models import Customer, PersonalDataView, Role
from accounts.roles import ROLE_PERMISSIONS, sync_role_groups
from accounts.services import create_customer, record_personal_data_view, set_staff_role, update_customer

from .factories import CustomerFactory, category, make_staff


def fields(org, **overrides):
    values = {
        "account_no": "8100000001",
        "name": "张三丰",
        "category": category("residential"),
        "mobile": "13812345678",
        "address": "渝中区解放碑路12号锦绣花园3栋2单元801",
        "outlet": org.outlet1a,
    }
    values.update(overrides)
    return values


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


def test_create_customer_normalises_and_saves(org):
    actor = make_staff(Role.FRONT_DESK, org.outlet1a)
    customer = create_customer(
        actor=actor, **fields(org, landline="02361234567", id_number="11010519491231002x")
    )
    customer.refresh_from_db()
    assert customer.landline == "023-61234567"
    assert customer.id_number == "11010519491231002X"
    assert customer.segment == "residential"


def test_duplicate_account_number_is_a_field_error_not_a_crash(org):
    create_customer(actor=None, **fields(org))
    with pytest.raises(ValidationError) as exc_info:
        create_customer(actor=None, **fields(org, name="李四"))
    assert errors_of(exc_info) == {"account_no": ["Account number 8100000001 already exists."]}
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"account_no": "81000001"}, "account_no", "10 digits"),
        ({"mobile": "12345678901"}, "mobile", "11 digits starting with 13-19"),
        ({"landline": "61234567"}, "landline", "area code"),
        ({"id_number": "110105194912310021"}, "id_number", "check digit"),
        ({"name": "  "}, "name", "This field cannot be blank."),
        ({"address": ""}, "address", "This field cannot be blank."),
    ],
    ids=["short account number", "bad mobile", "landline without area code", "bad ID check digit",
         "blank name", "blank address"],
)  # fmt: skip
def test_bad_fields_are_reported_on_the_field(org, overrides, field, message):
    with pytest.raises(ValidationError) as exc_info:
        create_customer(actor=None, **fields(org, **overrides))
    assert field in errors_of(exc_info)
    assert message in " ".join(errors_of(exc_info)[field])


def test_sub_category_must_belong_to_the_category(org):
    with pytest.raises(ValidationError) as exc_info:
        create_customer(
            actor=None,
            **fields(org, category=category("commercial"), sub_category=category("heating")),
        )
    assert errors_of(exc_info) == {
        "sub_category": ["This sub-category does not belong to the chosen category."]
    }


def test_outlet_must_be_an_outlet(org):
    with pytest.raises(ValidationError) as exc_info:
        create_customer(actor=None, **fields(org, outlet=org.branch1))
    assert errors_of(exc_info) == {"outlet": ["The responsible unit must be a service outlet."]}


def test_key_account_needs_an_account_manager(org):
    with pytest.raises(ValidationError) as exc_info:
        create_customer(actor=None, **fields(org, category=category("commercial"), is_key_account=True))
    assert "account_manager" in errors_of(exc_info)


def test_update_changes_fields_but_never_the_account_number(org):
    customer = create_customer(actor=None, **fields(org))
    update_customer(customer=customer, actor=None, mobile="13900001111", sub_category=category("heating"))
    customer.refresh_from_db()
    assert (customer.mobile, customer.sub_category.code) == ("13900001111", "heating")
    with pytest.raises(ValidationError) as exc_info:
        update_customer(customer=customer, actor=None, account_no="8100000002")
    assert errors_of(exc_info) == {"account_no": ["An account number cannot be changed."]}


def test_full_view_is_recorded(org):
    user = make_staff(Role.FRONT_DESK, org.outlet1a)
    customer = CustomerFactory(outlet=org.outlet1a, landline="023-61234567")
    record_personal_data_view(
        user=user, customer=customer, fields=["mobile", "landline", "notes"], ip="10.1.2.3"
    )
    view = PersonalDataView.objects.get()
    assert (view.user, view.customer, view.fields, view.ip_address) == (
        user,
        customer,
        "mobile,landline",
        "10.1.2.3",
    )


def test_role_groups_exist_with_permissions(db):
    result = sync_role_groups()
    assert set(result) == {str(r) for r in Role}
    desk = Group.objects.get(name="front_desk")
    codes = set(desk.permissions.values_list("codename", flat=True))
    assert {"add_customer", "change_customer", "view_customer", "add_ticket", "change_ticket"} <= codes
    admin_codes = set(Group.objects.get(name="administrator").permissions.values_list("codename", flat=True))
    assert {"delete_customer", "change_orgunit", "view_personaldataview"} <= admin_codes
    assert sync_role_groups() == result  # idempotent
    assert ROLE_PERMISSIONS[Role.TECHNICIAN]


def test_staff_groups_follow_their_role(org):
    user = make_staff(Role.FRONT_DESK, org.outlet1a)
    assert list(user.groups.values_list("name", flat=True)) == ["front_desk"]
    assert user.has_perm("accounts.add_customer")
    set_staff_role(user=user, role=Role.TECHNICIAN)
    user = type(user).objects.get(pk=user.pk)
    assert list(user.groups.values_list("name", flat=True)) == ["technician"]
    assert not user.has_perm("accounts.add_customer")
