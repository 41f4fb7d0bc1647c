"""Hostile input to the tickets pages and API.

The answer is a 4xx with a clear message, never a 500, and nothing leaks. Each test is a regression
test for a server error or a leak found by fuzzing (schemathesis) or by hand; its name says the
input and the answer.
"""

import pytest
import time_machine
from django.utils import translation

from tests.tickets.factories import at, make_ticket
from tickets.models import Channel

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 2, 10, 0)
NUL = "\x00"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Files in tmp, SMS on the console."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SMS_BACKEND = "console"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


def walk_in(org, **kwargs):
    """A caller without an account: only a contact name and phone."""
    return make_ticket(
        org,
        now=NOW,
        customer=None,
        contact_phone="13812345678",
        contact_name="李四",
        org_unit=org.outlet,
        **kwargs,
    )


def test_queue_with_a_walk_in_ticket_renders_its_masked_contact_phone(clerk, org):
    ticket = walk_in(org)
    make_ticket(org, now=NOW)

    response = clerk.get("/tickets/", {"scope": "team"})

    assert response.status_code == 200
    body = response.content.decode()
    assert ticket.reference in body
    assert "138****5678" in body
    assert "13812345678" not in body


@pytest.mark.parametrize(
    "params",
    [
        {"after": "garbage"},
        {"before": "%%%"},
        {"after": "bnVsbA"},
        {"after": "WzEsIDFd"},
        {"due_before": "notadate"},
        {"status": "bogus"},
        {"service_type": "x" * 5000},
    ],
    ids=[
        "after-garbage",
        "before-percent",
        "after-json-null",
        "after-number-due",
        "due-before-notadate",
        "status-bogus",
        "service-type-huge",
    ],
)
def test_queue_with_garbage_cursors_and_filters_is_not_a_server_error(clerk, org, params):
    walk_in(org)

    response = clerk.get("/tickets/", params)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/tickets/GS2026%00/",
        "/tickets/GS2026%00/receipt/",
        "/tickets/GS%00/attachments/00000000-0000-0000-0000-000000000000/",
        "/api/v1/tickets/GS2026%00/",
    ],
)
def test_a_nul_in_a_reference_or_account_number_is_not_found(clerk, clerk_api, org, url):
    client = clerk_api if url.startswith("/api/") else clerk

    response = client.get(url)

    assert response.status_code == 404


def test_api_ticket_received_in_year_one_is_a_field_error(clerk_api, org):
    response = clerk_api.post(
        "/api/v1/tickets/",
        {
            "customer": org.customer.account_no,
            "service_type": "RPR-RES",
            "channel": Channel.SERVICE_HALL,
            "description": "灶具打不着火",
            "received_at": "0001-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["received_at"] == ["The receipt time cannot be more than a year ago."]


def test_api_ticket_with_a_hotline_deadline_in_year_9999_is_a_field_error(clerk_api, org):
    response = clerk_api.post(
        "/api/v1/tickets/",
        {
            "customer": org.customer.account_no,
            "service_type": "RPR-RES",
            "channel": Channel.CITY_HOTLINE,
            "hotline_order_no": "12345-1",
            "description": "灶具打不着火",
            "hotline_due_at": "9999-12-30T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["hotline_due_at"] == [
        "The hotline's deadline cannot be more than a year after the receipt."
    ]


def test_api_patch_received_at_years_ago_is_a_field_error(clerk_api, org):
    ticket = make_ticket(org, now=NOW)

    response = clerk_api.patch(
        f"/api/v1/tickets/{ticket.reference}/", {"received_at": "1000-01-01T00:00:00+08:00"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["received_at"] == ["The receipt time cannot be more than a year ago."]


@pytest.mark.parametrize(
    "params, field, message",
    [
        (
            {"received_at": "0001-01-01T00:00"},
            "received_at",
            "The receipt time cannot be more than a year ago.",
        ),
        (
            {"hotline_due_at": "9999-12-31T23:59"},
            "hotline_due_at",
            "The hotline's deadline cannot be more than a year after the receipt.",
        ),
    ],
    ids=["received-year-one", "hotline-due-year-9999"],
)
def test_preview_with_dates_out_of_range_is_a_field_error(clerk, org, params, field, message):
    response = clerk.get("/tickets/preview/", {"service_type": "RPR-RES", **params})

    assert response.status_code == 400
    assert response.json()["errors"][field] == [message]


def test_intake_form_received_years_ago_is_a_field_error(clerk, org):
    response = clerk.post(
        "/tickets/new/",
        {
            "customer": org.customer.account_no,
            "service_type": "RPR-RES",
            "channel": Channel.SERVICE_HALL,
            "priority": "normal",
            "description": "灶具打不着火",
            "received_at": "0001-01-01T00:00",
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["received_at"] == [
        "The receipt time cannot be more than a year ago."
    ]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("received_at", "0001-01-01T00:00", "The receipt time cannot be more than a year ago."),
        (
            "hotline_due_at",
            "9999-12-31T23:59",
            "The hotline's deadline cannot be more than a year after the receipt.",
        ),
    ],
    ids=["received-year-one", "hotline-due-year-9999"],
)
def test_intake_preview_button_with_dates_out_of_range_is_a_field_error(clerk, org, field, value, message):
    response = clerk.post(
        "/tickets/new/",
        {
            "customer": org.customer.account_no,
            "service_type": "RPR-RES",
            "channel": Channel.CITY_HOTLINE,
            "hotline_order_no": "12345-1",
            "priority": "normal",
            "description": "x",
            "action": "preview",
            field: value,
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]


def test_intake_form_accepts_an_iso_offset_postgresql_would_refuse(clerk, org):
    response = clerk.post(
        "/tickets/new/",
        {
            "customer": org.customer.account_no,
            "service_type": "RPR-RES",
            "channel": Channel.SERVICE_HALL,
            "priority": "normal",
            "description": "灶具打不着火",
            "received_at": "2026-03-01T09:00:00-16:31",
        },
    )

    assert response.status_code == 302
    ticket = org.customer.tickets.get()
    assert ticket.received_at == at(2026, 3, 2, 9, 31)


def test_api_ticket_for_a_customer_outside_the_clerks_area_is_refused_like_an_unknown_one(clerk_api, org):
    response = clerk_api.post(
        "/api/v1/tickets/",
        {
            "customer": org.far_customer.account_no,
            "service_type": "RPR-RES",
            "channel": Channel.SERVICE_HALL,
            "description": "灶具打不着火",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["customer"] == [f"No customer with account number {org.far_customer.account_no}."]


def test_an_upload_with_a_huge_file_name_is_stored_under_a_shortened_name(clerk, org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.complaints.factories import PNG_BYTES

    ticket = make_ticket(org, now=NOW)
    upload = SimpleUploadedFile("x" * 2000 + ".png", PNG_BYTES, content_type="image/png")

    response = clerk.post(f"/tickets/{ticket.reference}/attachments/", {"file": upload})

    assert response.status_code == 302
    attachment = ticket.attachments.get()
    assert len(attachment.original_name) <= 200
    assert len(attachment.file.name) <= attachment.file.field.max_length
