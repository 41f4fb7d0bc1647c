"""Hostile input to the project's own pages, the NUL refusal of every page and API, and the OpenAPI schema.

The answer is a 4xx with a clear message, never a 500, and nothing leaks. Each test is a regression
test for a server error or a leak found by fuzzing (schemathesis) or by hand; its name says the
input and the answer.
"""

import pytest
from django.utils import translation

pytestmark = pytest.mark.django_db

NUL = "\x00"


def test_set_language_never_redirects_off_site(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_schema_documents_nullable_fields_and_the_unpaged_timeline(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    events = schema["paths"]["/api/v1/tickets/{reference}/events/"]["get"]["responses"]["200"]

    assert components["Ticket"]["properties"]["assignee"]["nullable"] is True
    assert components["Ticket"]["properties"]["customer"]["nullable"] is True
    assert components["Event"]["properties"]["actor"]["nullable"] is True
    assert components["OrgUnit"]["properties"]["parent"]["nullable"] is True
    assert events["content"]["application/json"]["schema"]["type"] == "array"


def test_schema_documents_the_ticket_page_and_blank_complaint_fields(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    tickets = schema["paths"]["/api/v1/tickets/"]["get"]["responses"]["200"]["content"]["application/json"]
    chain = schema["paths"]["/api/v1/complaints/{reference}/chain/"]["get"]["responses"]["200"]
    complaint = components["Complaint"]["properties"]

    assert tickets["schema"] == {"$ref": "#/components/schemas/TicketPage"}
    assert chain["content"]["application/json"]["schema"]["type"] == "array"
    assert "format" not in complaint["complainant_email"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in complaint["remedy"]["oneOf"]
    assert all(
        complaint[f]["nullable"]
        for f in (
            "next_due_at",
            "hotline_due_at",
            "sub_category",
            "department_at_fault",
            "repeat_of",
            "account_no",
        )
    )


# ---------------------------------------------------------------- NUL characters (PostgreSQL refuses them)


@pytest.mark.parametrize(
    "method, url, params",
    [
        ("get", "/customers/", {"q": f"客户{NUL}"}),
        ("get", "/tickets/", {"scope": NUL}),
        ("get", "/tickets/", {"sla_state": NUL}),
        ("get", "/tickets/new/", {"q": f"客户{NUL}", "customer": f"31{NUL}"}),
        ("get", "/tickets/preview/", {"service_type": "RPR-RES", "customer": f"31{NUL}"}),
        ("get", "/complaints/", {"source": f"web{NUL}"}),
        ("post", "/tickets/new/", {"customer": f"31{NUL}", "description": "灶具打不着火"}),
    ],
    ids=[
        "customer-search",
        "queue-scope",
        "queue-sla",
        "intake-search",
        "intake-preview",
        "complaint-worklist",
        "intake-post",
    ],
)
def test_a_nul_in_a_staff_page_parameter_is_the_bad_request_page(clerk, org, method, url, params):
    response = getattr(clerk, method)(url, params)

    assert response.status_code == 400
    body = response.content.decode()
    assert "Bad request" in body
    assert "Null characters are not allowed." in body


@pytest.mark.parametrize(
    "method, url, params",
    [
        ("post", "/complaints/new/", {"name": "张三", "phone": "13900001111", "description": f"漏气{NUL}"}),
        ("get", "/complaints/new/", {"category": NUL}),
        ("post", "/complaints/track/", {"reference": f"GS2026{NUL}", "phone": "13900001111"}),
        ("get", "/complaints/track/", {"reference": f"GS2026{NUL}"}),
        ("post", "/track/", {"reference": f"GS2026{NUL}", "phone": "13900001111"}),
        ("get", "/track/", {"reference": f"GS2026{NUL}"}),
    ],
    ids=[
        "public-complaint-form",
        "public-complaint-query",
        "complaint-tracking-form",
        "complaint-tracking-query",
        "case-tracking-form",
        "case-tracking-query",
    ],
)
def test_a_nul_in_a_public_page_is_the_bad_request_page(client, org, method, url, params):
    response = getattr(client, method)(url, params)

    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()


def test_the_nul_refusal_is_in_the_readers_language(client, org):
    response = client.post(
        "/track/", {"reference": f"GS2026{NUL}", "phone": "13900001111"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    with translation.override("zh-hans"):
        assert translation.gettext("Null characters are not allowed.") in response.content.decode()


@pytest.mark.parametrize(
    "method, url, data, field",
    [
        ("get", "/api/v1/customers/", {"q": f"客户{NUL}"}, "q"),
        ("get", "/api/v1/tickets/", {"org_unit": NUL}, "org_unit"),
        ("get", "/api/v1/complaints/", {"category": NUL}, "category"),
        ("post", "/api/v1/complaints/", {"source": "hotline", "account_no": f"31{NUL}"}, "account_no"),
        ("post", "/api/v1/tickets/", {"service_type": "RPR-RES", "notes": {"x": [f"a{NUL}"]}}, "notes"),
    ],
    ids=["customer-search", "ticket-filter", "complaint-filter", "json-account-no", "json-nested"],
)
def test_a_nul_in_an_api_parameter_is_a_400_on_its_field(clerk_api, org, method, url, data, field):
    kwargs = {"format": "json"} if method == "post" else {}

    response = getattr(clerk_api, method)(url, data, **kwargs)

    assert response.status_code == 400
    assert response.json() == {field: ["Null characters are not allowed."]}
