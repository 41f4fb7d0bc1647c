"""The ticket timeline masks the phones in changed details; the full values only through the reveal path."""

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import PersonalDataView, Role
from tickets import services

from .factories import Org, at, make_ticket, staff

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 2, 9, 0)


@pytest.fixture
def org():
    with time_machine.travel(NOW, tick=False):
        yield Org()


def api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def changed_phone(org):
    ticket = make_ticket(org, now=NOW, contact_phone="13800001111")
    services.update_ticket(ticket=ticket, actor=org.clerk, now=NOW, contact_phone="13900002222")
    return ticket


def _change(body):
    return next(e for e in body if e["kind"] == "field")


def test_timeline_masks_old_and_new_phone_and_records_nothing(org, changed_phone):
    body = api(org.clerk).get(f"/api/v1/tickets/{changed_phone.reference}/events/").json()

    change = _change(body)
    assert change["data"]["before"]["contact_phone"] == "138****1111"
    assert change["data"]["after"]["contact_phone"] == "139****2222"
    assert "13800001111" not in str(body) and "13900002222" not in str(body)
    assert not PersonalDataView.objects.exists()


def test_reveal_on_the_timeline_is_recorded(org, changed_phone):
    response = api(org.clerk).get(f"/api/v1/tickets/{changed_phone.reference}/events/?reveal=1")

    change = _change(response.json())
    assert change["data"]["before"]["contact_phone"] == "13800001111"
    view = PersonalDataView.objects.get()
    assert (view.user, view.subject, view.fields) == (org.clerk, changed_phone.reference, "contact_phone")


def test_a_role_refused_a_reveal_keeps_the_masked_timeline(org, changed_phone):
    admin = staff(username="admin_user", role=Role.ADMINISTRATOR, org_unit=org.centre)

    body = api(admin).get(f"/api/v1/tickets/{changed_phone.reference}/events/?reveal=1").json()

    assert _change(body)["data"]["after"]["contact_phone"] == "139****2222"
    assert not PersonalDataView.objects.exists()
