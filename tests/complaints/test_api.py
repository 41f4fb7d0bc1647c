"""The complaint API: create, list with filters, retrieve by reference, the step actions, the schema."""

import datetime

import pytest
from rest_framework.test import APIClient

from complaints.models import Complaint

from .factories import MON, file

pytestmark = pytest.mark.django_db

URL = "/api/v1/complaints/"


def api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_anonymous_and_technicians_are_refused(org):
    assert APIClient().get(URL).status_code in (401, 403)
    assert api(org.tech).get(URL).status_code == 403


def test_create_retrieve_and_steps(org):
    client = api(org.agent)
    response = client.post(
        URL,
        {
            "source": "hotline",
            "category": "billing",
            "sub_category": "billing.late_fee",
            "severity": "medium",
            "description": "违约金不合理",
            "complainant_name": "张三",
            "complainant_phone": "13900001111",
            "account_no": org.customer.account_no,
            "requested_remedy": "减免",
            "consent": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    reference = body["reference"]
    assert body["service_type"] == "CMP-STD" and body["stage"] == "received"
    assert body["account_no"] == org.customer.account_no and body["org_unit"] == "OUT01"

    assert client.get(f"{URL}{reference}/").json()["reference"] == reference

    steps = [
        ("acknowledge", {"note": "短信已告知"}, "acknowledged"),
        ("contact", {"note": "电话联系"}, "acknowledged"),
        (
            "investigate",
            {
                "findings": "属实",
                "is_substantiated": True,
                "root_cause": "billing_error",
                "department_at_fault": "OUT01",
            },
            "investigated",
        ),
        (
            "respond",
            {"response_text": "已为您减免。", "remedy": "bill_credit", "remedy_amount": "20.00"},
            "responded",
        ),
        ("close", {"customer_accepted": True}, "closed"),
        ("reopen", {"reason": "用户申诉"}, "received"),
    ]
    for action, payload, stage in steps:
        response = client.post(f"{URL}{reference}/{action}/", payload, format="json")
        assert response.status_code == 200, (action, response.json())
        if action != "reopen":
            assert response.json()["stage"] == stage, action
    final = client.get(f"{URL}{reference}/").json()
    assert final["reopen_count"] == 1 and final["status"] == "in_progress"
    assert final["remedy_amount"] == "20.00" and final["response_text"] == "已为您减免。"


def test_rule_errors_are_400_with_field_messages(org):
    client = api(org.agent)
    complaint = file(org)
    response = client.post(
        f"{URL}{complaint.reference}/respond/", {"response_text": "x", "remedy": "none"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Acknowledge the complaint before answering it."]}
    response = client.post(
        URL,
        {
            "source": "city_hotline",
            "category": "other",
            "description": "x",
            "complainant_name": "a",
            "complainant_phone": "13900001111",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["hotline_order_no"] == ["A 12345 order needs the hotline's order number."]
    response = client.post(URL, {"source": "hotline", "category": "nope"}, format="json")
    assert response.status_code == 400 and "category" in response.json()


def test_a_bad_phone_has_the_same_message_in_the_complaint_and_ticket_apis(org):
    client = api(org.agent)
    complaint = client.post(
        URL,
        {
            "source": "hotline",
            "category": "billing",
            "description": "违约金不合理",
            "complainant_name": "张三",
            "complainant_phone": "12345",
        },
        format="json",
    )
    ticket = client.post(
        "/api/v1/tickets/",
        {
            "service_type": "RPR-RES",
            "channel": "hotline",
            "description": "灶具打不着火",
            "contact_phone": "12345",
        },
        format="json",
    )

    assert complaint.status_code == ticket.status_code == 400
    assert (
        complaint.json()["complainant_phone"]
        == ticket.json()["contact_phone"]
        == [
            "Enter a mobile number (11 digits starting with 13-19) or a landline with its area code, "
            "e.g. 023-61234567."
        ]
    )


def test_list_filters_and_visibility(org, django_assert_max_num_queries):
    file(org, code="safety", complainant_phone="13900000001", complainant_address="")
    file(org, complainant_phone="13900000002", complainant_address="")
    file(org, complainant_phone="13900000002", complainant_address="", now=MON + datetime.timedelta(hours=1))
    file(org, customer=org.far_customer, complainant_phone=org.far_customer.mobile, complainant_address="")
    client = api(org.agent)
    with django_assert_max_num_queries(8):
        body = client.get(URL).json()
    assert body["count"] == 4
    assert client.get(URL, {"category": "safety"}).json()["count"] == 1
    assert client.get(URL, {"is_repeat": "true"}).json()["count"] == 1
    assert client.get(URL, {"phone": "13900000002"}).json()["count"] == 2
    assert client.get(URL, {"is_open": "true"}).json()["count"] == 4
    assert client.get(URL, {"received_after": "2026-03-02T09:30:00+08:00"}).json()["count"] == 1
    # An outlet clerk sees the outlet's complaints only (the others are at the centre or far away).
    clerk = api(org.clerk)
    assert clerk.get(URL).json()["count"] == 0
    far = Complaint.objects.get(customer=org.far_customer)
    assert clerk.get(f"{URL}{far.reference}/").status_code == 404


def test_link_and_chain(org):
    from tests.tickets.factories import make_ticket

    first = file(org)
    second = file(org, now=MON + datetime.timedelta(days=1))
    repair = make_ticket(org, now=MON)
    client = api(org.agent)
    response = client.post(f"{URL}{second.reference}/link/", {"ticket": repair.reference}, format="json")
    assert response.status_code == 200 and response.json()["related_tickets"] == [repair.reference]
    assert (
        client.post(
            f"{URL}{second.reference}/link/", {"ticket": "GS20990101-00001"}, format="json"
        ).status_code
        == 400
    )
    chain = client.get(f"{URL}{second.reference}/chain/").json()
    assert [c["reference"] for c in chain] == [first.reference, second.reference]
    assert chain[1]["repeat_of"] == first.reference


def test_schema_documents_the_complaint_endpoints(org):
    client = api(org.agent)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"] if response["Content-Type"].endswith("json") else None
    if paths is None:
        import yaml

        paths = yaml.safe_load(response.content)["paths"]
    for path in (
        "/api/v1/complaints/",
        "/api/v1/complaints/{reference}/",
        "/api/v1/complaints/{reference}/respond/",
        "/api/v1/complaints/{reference}/reopen/",
    ):
        assert path in paths, path
    assert "requestBody" in paths["/api/v1/complaints/{reference}/respond/"]["post"]
