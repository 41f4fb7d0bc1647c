"""The customer edit page shows phones and ID number masked; changing them needs a recorded reveal."""

import pytest
from django.urls import reverse

from accounts.models import Customer, PersonalDataView, Role

from .factories import CustomerFactory, category, make_staff
from .test_views import form_data


@pytest.fixture
def customer(org):
    return CustomerFactory(
        account_no="8100000001", name="张三丰", mobile="13812345678", landline="023-61234567",
        id_number="11010519491231002X", outlet=org.outlet, category=category("residential"),
    )  # fmt: skip


def _url(customer):
    return reverse("accounts:customer_edit", args=[customer.account_no])


FULL_VALUES = ("13812345678", "023-61234567", "11010519491231002X")


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.ADMINISTRATOR])
def test_edit_page_shows_masked_values_and_records_nothing(client, org, customer, role):
    client.force_login(make_staff(role, org.outlet))

    page = client.get(_url(customer)).content.decode()

    assert "138****5678" in page and "023-****4567" in page and "1101**********002X" in page
    assert not any(value in page for value in FULL_VALUES)
    assert not PersonalDataView.objects.exists()


def test_saving_without_a_reveal_keeps_the_masked_fields(client, org, customer):
    client.force_login(make_staff(Role.FRONT_DESK, org.outlet))

    response = client.post(_url(customer), form_data(org, name="张三丰（改）", mobile="13700001234"))

    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.mobile, customer.id_number) == (
        "张三丰（改）",
        "13812345678",
        "11010519491231002X",
    )


def test_a_reveal_on_the_form_is_recorded_and_lets_the_phone_change(client, org, customer):
    desk = make_staff(Role.FRONT_DESK, org.outlet)
    client.force_login(desk)

    page = client.post(_url(customer), {"_reveal": "1"}).content.decode()
    assert all(value in page for value in FULL_VALUES)
    view = PersonalDataView.objects.get()
    assert (view.user, view.customer, view.fields) == (desk, customer, "mobile,landline,id_number")

    response = client.post(
        _url(customer),
        form_data(
            org,
            _revealed="1",
            name="张三丰",
            mobile="13700001234",
            landline="023-61234567",
            id_number="11010519491231002X",
        ),
    )
    assert response.status_code == 302
    assert Customer.objects.get(pk=customer.pk).mobile == "13700001234"


def test_a_role_refused_a_reveal_cannot_reveal_on_the_form(client, org, customer):
    client.force_login(make_staff(Role.ADMINISTRATOR, org.outlet))

    assert client.post(_url(customer), {"_reveal": "1"}).status_code == 403
    response = client.post(_url(customer), form_data(org, _revealed="1", name="张三丰", mobile="13700001234"))
    assert response.status_code == 403
    assert Customer.objects.get(pk=customer.pk).mobile == "13812345678"
    assert not PersonalDataView.objects.exists()
