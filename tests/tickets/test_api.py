"""The tickets API: create, list with filters and keyset pages, detail, PATCH, actions, timeline."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tickets import services
from tickets.catalogue import EXPECTED_CODES
from tickets.models import Status, Ticket

from .factories import at, make_ticket
from .test_services import PNG

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 2, 10, 0)
URL = "/api/v1/tickets/"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


@pytest.fixture
def api_client(api_client):
    api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return api_client


@pytest.fixture
def clerk_client(api_client, org):
    api_client.force_authenticate(org.clerk)
    return api_client


def create(client, **data):
    body = {
        "customer": "",
        "service_type": "RPR-RES",
        "channel": "service_hall",
        "description": "灶具打不着火",
    }
    body.update(data)
    return client.post(URL, body, format="json")


def test_create_returns_reference_and_milestones_with_offsets(clerk_client, org):
    r = create(clerk_client, customer=org.customer.account_no, received_at="2026-03-02T09:40:00+08:00")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["reference"] == "GS20260302-00001" and r["Location"].endswith(f"{URL}{body['reference']}/")
    assert body["status"] == "new" and body["priority"] == "normal" and body["service_type"] == "RPR-RES"
    assert body["customer"] == org.customer.account_no and body["org_unit"] == "OUT01"
    assert body["assignee"] is None and body["escalation_level"] is None
    assert body["received_at"] == "2026-03-02T09:40:00+08:00"
    assert [(m["code"], m["due_at"], m["state"]) for m in body["milestones"]] == [
        ("contact", "2026-03-02T10:10:00+08:00", "on_time"),
        ("arrive", "2026-03-02T13:40:00+08:00", "on_time"),
        ("repair", "2026-03-03T09:40:00+08:00", "on_time"),
    ]
    assert body["next_due_at"] == "2026-03-02T10:10:00+08:00" and body["sla_state"] == "on_time"


def test_create_walk_in_from_the_12345_hotline(clerk_client):
    r = create(
        clerk_client,
        service_type="H12345",
        channel="city_hotline",
        hotline_order_no="2026-0302-001",
        hotline_due_at="2026-03-04T12:00:00+08:00",
        contact_phone="13812345678",
        contact_name="李女士",
    )
    assert r.status_code == 201, r.json()
    reply = {m["code"]: m for m in r.json()["milestones"]}["reply"]
    assert reply["due_at"] == "2026-03-04T12:00:00+08:00" and reply["is_override"] is True


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"customer": "9999999999"}, "customer", "No customer with account number 9999999999."),
        ({"service_type": "NOPE"}, "service_type", "No service type NOPE."),
        (
            {"received_at": "2026-03-02T12:00:00+08:00"},
            "received_at",
            "The receipt time cannot be in the future.",
        ),
        ({"channel": "pigeon"}, "channel", '"pigeon" is not a valid choice.'),
        ({"description": ""}, "description", "This field may not be blank."),
    ],
    ids=["unknown customer", "unknown service type", "future receipt", "bad channel", "no description"],
)
def test_create_bad_input_gives_field_messages(clerk_client, org, data, field, message):
    r = create(clerk_client, **{"customer": org.customer.account_no, **data})
    assert r.status_code == 400
    assert r.json()[field] == [message]
    assert not Ticket.objects.exists()


def test_unauthenticated_is_401(api_client):
    assert api_client.get(URL).status_code == 401
    assert create(api_client).status_code == 401


def test_invisible_ticket_is_404(api_client, org):
    t = make_ticket(org, now=NOW)
    api_client.force_authenticate(org.far_tech)
    assert api_client.get(f"{URL}{t.reference}/").status_code == 404
    assert api_client.post(f"{URL}{t.reference}/transition/", {"to": "accepted"}).status_code == 404
    assert api_client.get(f"{URL}{t.reference}/events/").status_code == 404
    api_client.force_authenticate(org.agent)  # the call centre sees every ticket
    assert api_client.get(f"{URL}{t.reference}/").status_code == 200


def test_phone_is_masked_and_shown_in_full_only_on_request_which_is_logged(clerk_client, org):
    from accounts.models import PersonalDataView

    t = make_ticket(org, now=NOW, customer=None, contact_phone="13812345678")
    assert clerk_client.get(f"{URL}{t.reference}/").json()["contact_phone"] == "138****5678"
    row = clerk_client.get(URL).json()["results"][0]
    assert row["contact_phone"] == "138****5678"
    assert not PersonalDataView.objects.exists()
    assert clerk_client.get(f"{URL}{t.reference}/?reveal=1").json()["contact_phone"] == "13812345678"
    view = PersonalDataView.objects.get()
    assert (view.user, view.subject, view.fields) == (org.clerk, t.reference, "contact_phone")


def test_list_filters_and_keyset_pages(clerk_client, org):
    for minutes in range(7):
        make_ticket(org, now=NOW, received_at=NOW - datetime.timedelta(minutes=minutes * 10))
    make_ticket(org, code="ENQ", now=NOW)
    far = make_ticket(org, now=NOW, customer=org.far_customer)
    seen, url = [], f"{URL}?limit=3&service_type=RPR-RES"
    while url:
        body = clerk_client.get(url).json()
        seen += [row["reference"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == 7 and far.reference not in seen and len(set(seen)) == 7
    dues = [Ticket.objects.get(reference=r).next_due_at for r in seen]
    assert dues == sorted(dues)
    rows = clerk_client.get(f"{URL}?service_type=ENQ").json()["results"]
    assert [r["service_type"] for r in rows] == ["ENQ"]
    assert len(clerk_client.get(f"{URL}?sla_state=breached").json()["results"]) == 4  # contact 30 min missed
    assert clerk_client.get(f"{URL}?status=closed").json()["results"] == []
    r = clerk_client.get(f"{URL}?status=sleeping")
    assert r.status_code == 400 and "status" in r.json()
    assert clerk_client.get(f"{URL}?cursor=garbage").status_code == 400


def test_list_query_count_is_constant(clerk_client, org):
    def queries_for_page():
        with CaptureQueriesContext(connection) as ctx:
            r = clerk_client.get(f"{URL}?limit=50")
        assert r.status_code == 200
        return len(ctx.captured_queries), len(r.json()["results"])

    for minutes in range(5):
        make_ticket(org, now=NOW - datetime.timedelta(minutes=minutes))
    five = queries_for_page()
    for minutes in range(45):
        make_ticket(org, code="INS-RES", now=NOW - datetime.timedelta(minutes=minutes))
    fifty = queries_for_page()
    assert five[1] == 5 and fifty[1] == 50
    assert five[0] == fifty[0] <= 5


def test_create_query_count(clerk_client, org, django_assert_max_num_queries):
    create(clerk_client, customer=org.customer.account_no)  # warm the calendar and policy caches
    with django_assert_max_num_queries(20):
        r = create(clerk_client, customer=org.customer.account_no, service_type="INS-RES")
    assert r.status_code == 201


def test_transition_flow_and_errors(clerk_client, org):
    ref = make_ticket(org, now=NOW).reference
    url = f"{URL}{ref}/transition/"
    r = clerk_client.post(url, {"to": "resolved"}, format="json")
    assert r.status_code == 400
    assert r.json()["to"] == ["Cannot go from New to Resolved. Allowed: Accepted, Assigned, Cancelled."]
    r = clerk_client.post(url, {"to": "accepted", "note": "已受理"}, format="json")
    assert r.json()["status"] == "accepted"
    r = clerk_client.post(url, {"to": "waiting_customer"}, format="json")
    assert r.status_code == 400 and r.json()["reason"] == ["Give a reason."]
    r = clerk_client.post(url, {"to": "waiting_customer", "reason": "客户不在家"}, format="json")
    assert r.json()["status"] == "waiting_customer" and r.json()["paused_at"] == "2026-03-02T10:00:00+08:00"
    assert clerk_client.post(url, {"to": "accepted"}, format="json").json()["status"] == "accepted"
    kinds = [e["kind"] for e in clerk_client.get(f"{URL}{ref}/events/").json()]
    assert kinds == ["created", "status", "note", "paused", "resumed"]


def test_assign_and_meet_milestone(clerk_client, org):
    ref = make_ticket(org, code="INS-RES", now=NOW).reference
    r = clerk_client.post(f"{URL}{ref}/assign/", {"assignee": "nobody"}, format="json")
    assert r.status_code == 400 and r.json()["assignee"] == ["No staff member with this username."]
    r = clerk_client.post(f"{URL}{ref}/assign/", {"assignee": "far_tech"}, format="json")
    assert r.status_code == 400 and "cannot see this ticket" in r.json()["assignee"][0]
    r = clerk_client.post(f"{URL}{ref}/assign/", {"assignee": "tech"}, format="json")
    assert (r.json()["status"], r.json()["assignee"]) == ("assigned", "tech")
    r = clerk_client.post(f"{URL}{ref}/milestones/survey_design/meet/")
    works = {m["code"]: m for m in r.json()["milestones"]}["works_complete"]
    assert works["due_at"] == "2026-03-18T17:30:00+08:00"
    r = clerk_client.post(f"{URL}{ref}/milestones/survey_design/meet/")
    assert r.status_code == 400 and "already met" in r.json()["code"][0]


def test_patch_received_at_recomputes(clerk_client, org):
    ref = make_ticket(org, now=NOW).reference
    r = clerk_client.patch(f"{URL}{ref}/", {"received_at": "2026-03-02T08:00:00+08:00"}, format="json")
    assert r.status_code == 200
    assert {m["code"]: m["due_at"] for m in r.json()["milestones"]}["arrive"] == "2026-03-02T12:00:00+08:00"
    r = clerk_client.patch(f"{URL}{ref}/", {"received_at": "2026-03-03T08:00:00+08:00"}, format="json")
    assert r.status_code == 400 and r.json()["received_at"] == ["The receipt time cannot be in the future."]
    r = clerk_client.patch(f"{URL}{ref}/", {"org_unit": "NOPE"}, format="json")
    assert r.status_code == 400 and r.json()["org_unit"] == ["No organisation unit NOPE."]
    events = clerk_client.get(f"{URL}{ref}/events/").json()
    assert events[-1]["kind"] == "received_at" and events[-1]["actor"] == "clerk"


def test_notes_replies_attachments(clerk_client, org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ref = make_ticket(org, now=NOW).reference
    note = clerk_client.post(f"{URL}{ref}/notes/", {"text": "内部备注"}, format="json").json()
    reply = clerk_client.post(f"{URL}{ref}/replies/", {"text": "已安排"}, format="json").json()
    assert (note["is_public"], reply["is_public"]) == (False, True)
    url = f"{URL}{ref}/attachments/"
    r = clerk_client.post(url, {"file": SimpleUploadedFile("a.png", PNG)}, format="multipart")
    assert r.status_code == 201 and r.json()["content_type"] == "image/png"
    r = clerk_client.post(url, {"file": SimpleUploadedFile("a.png", b"MZ" + b"x" * 100)}, format="multipart")
    assert r.status_code == 400 and "not accepted" in r.json()["file"][0]
    public = clerk_client.get(f"{URL}{ref}/events/?public=1").json()
    assert [e["kind"] for e in public] == ["reply"]


def test_service_types_are_public(api_client):
    r = api_client.get("/api/v1/service-types/")
    assert r.status_code == 200
    codes = [row["code"] for row in r.json()]
    assert sorted(codes) == sorted(EXPECTED_CODES)
    ins = api_client.get("/api/v1/service-types/INS-RES/").json()
    assert [(s["code"], s["amount"], s["unit"], s["starts_after"]) for s in ins["standards"]] == [
        ("accept", 0, "working_days", ""),
        ("survey_design", 5, "working_days", ""),
        ("works_complete", 12, "working_days", "survey_design"),
        ("gas_on", 1, "working_days", "works_complete"),
    ]


def test_status_changes_go_through_services(clerk_client, org):
    t = make_ticket(org, now=NOW)
    services.accept_ticket(ticket=t, actor=org.clerk, now=NOW)
    r = clerk_client.patch(f"{URL}{t.reference}/", {"status": "closed"}, format="json")
    assert r.status_code == 200 and Ticket.objects.get(pk=t.pk).status == Status.ACCEPTED
