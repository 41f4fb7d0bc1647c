"""The customer API and pages follow the same rule: the role's model permissions, for every action."""

import pytest
from django.urls import reverse

from accounts.models import Customer, Role

from .factories import CustomerFactory, category, make_staff
from .test_views import form_data


@pytest.fixture
def tech(org):
    return make_staff(Role.TECHNICIAN, org.outlet)


@pytest.fixture
def customer(org):
    return CustomerFactory(account_no="8100000001", outlet=org.outlet, category=category("residential"))


def test_a_field_technician_cannot_create_a_customer_through_the_api(api_client, org, tech):
    api_client.force_authenticate(tech)
    response = api_client.post("/api/v1/customers/", {
        "account_no": "8200000001", "name": "王五", "category": "residential", "mobile": "13700001234",
        "address": "渝中区解放碑路1号", "outlet": org.outlet.code,
    }, format="json")  # fmt: skip

    assert response.status_code == 403
    assert response.json()["detail"] == "You do not have permission to perform this action."
    assert not Customer.objects.filter(account_no="8200000001").exists()


@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_field_technician_cannot_edit_a_customer_through_the_api(api_client, tech, customer, method):
    api_client.force_authenticate(tech)
    response = getattr(api_client, method)(
        f"/api/v1/customers/{customer.account_no}/", {"name": "改名"}, format="json"
    )

    assert response.status_code == 403
    assert Customer.objects.get(pk=customer.pk).name == customer.name


def test_a_field_technician_reads_customers_on_the_api_and_the_pages(api_client, client, org, tech, customer):
    api_client.force_authenticate(tech)
    assert api_client.get(f"/api/v1/customers/{customer.account_no}/").status_code == 200
    client.force_login(tech)
    assert client.get(reverse("accounts:customer_detail", args=[customer.account_no])).status_code == 200
    assert client.get(reverse("accounts:customer_edit", args=[customer.account_no])).status_code == 403
    assert client.post(reverse("accounts:customer_create"), form_data(org)).status_code == 403


def test_a_staff_member_without_a_role_reads_nothing(api_client, client, db, customer):
    from tests.factories import UserFactory

    nobody = UserFactory()
    api_client.force_authenticate(nobody)
    assert api_client.get("/api/v1/customers/").status_code == 403
    client.force_login(nobody)
    assert client.get(reverse("accounts:customer_list")).status_code == 403
