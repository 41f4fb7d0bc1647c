"""Hostile input found by fuzzing (schemathesis) and by hand: a 4xx with a clear message, never a 500.

Each test is a regression test for a server error or a leak that was found and fixed; its
name says the input and the answer.
"""

import pytest
import time_machine
from django.utils import translation

from tests.tickets.factories import Org, at, make_ticket
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


@pytest.fixture
def org():
    return Org()


@pytest.fixture
def clerk(client, org):
    client.force_login(org.clerk)
    return client


@pytest.fixture
def clerk_api(api_client, org):
    api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    api_client.force_authenticate(org.clerk)
    return api_client


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


# ---------------------------------------------------------------- the queue


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


# ---------------------------------------------------------------- NUL characters (PostgreSQL refuses them)


@pytest.mark.parametrize(
    "url",
    [
        "/tickets/GS2026%00/",
        "/tickets/GS2026%00/receipt/",
        "/complaints/GS2026%00/",
        "/customers/31%00/",
        "/tickets/GS%00/attachments/00000000-0000-0000-0000-000000000000/",
        "/api/v1/tickets/GS2026%00/",
        "/api/v1/complaints/GS2026%00/",
        "/api/v1/customers/31%00/",
    ],
)
def test_a_nul_in_a_reference_or_account_number_is_not_found(clerk, clerk_api, org, url):
    client = clerk_api if url.startswith("/api/") else clerk

    response = client.get(url)

    assert response.status_code == 404


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


# ---------------------------------------------------------------- times out of range


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


# ---------------------------------------------------------------- notifications API


@pytest.mark.parametrize("pk", ["false", "null,null", "1e3"])
def test_notification_read_with_a_non_numeric_id_is_not_found(clerk_api, pk):
    response = clerk_api.post(f"/api/v1/notifications/{pk}/read/")

    assert response.status_code == 404


# ---------------------------------------------------------------- intake and complaint forms


def test_staff_complaint_received_in_year_one_is_a_field_error(client, org):
    client.force_login(org.agent)

    response = client.post(
        "/complaints/intake/",
        {
            "source": "hotline",
            "name": "张三",
            "phone": "13900001111",
            "address": "渝中区解放碑路1号",
            "category": "billing.late_fee",
            "severity": "medium",
            "description": "违约金不合理",
            "received_at": "0001-01-01T00:00",
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["received_at"] == [
        "The receipt time cannot be more than a year ago."
    ]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=gbk",
        "application/x-www-form-urlencoded; charset=no-such-charset",
    ],
)
def test_public_complaint_form_in_a_non_utf8_body_is_a_400(client, org, content_type):
    body = "name=张三&description=燃气费&consent=on".encode("gbk") + b"&x=\xff\xfe"

    response = client.generic("POST", "/complaints/new/", body, content_type=content_type)

    assert response.status_code == 400


# ---------------------------------------------------------------- redirects


@pytest.mark.parametrize("target", ["a b", "-1", "%", "{{7*7}}", "https://evil.example/", "//evil.example/x"])
def test_mark_all_read_never_redirects_off_site_nor_fails_on_a_strange_next(client, org, target):
    client.force_login(org.clerk)

    response = client.post("/notifications/read-all/", {"next": target})

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_mark_all_read_goes_back_to_a_page_of_the_site(client, org):
    client.force_login(org.clerk)

    response = client.post("/notifications/read-all/", {"next": "/tickets/?scope=team"})

    assert response.status_code == 302
    assert response["Location"] == "/tickets/?scope=team"


@pytest.mark.parametrize("url", ["/login/?next=https://evil.example/", "/login/?next=//evil.example/"])
def test_login_never_redirects_off_site(client, org, url):
    org.clerk.set_password("pass-12345")
    org.clerk.save()

    response = client.post(url, {"username": "clerk", "password": "pass-12345"})

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_set_language_never_redirects_off_site(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


# ---------------------------------------------------------------- data that must not leak


def test_complaint_api_list_masks_the_complainant_phone(api_client, org):
    from accounts.models import PersonalDataView
    from tests.complaints.factories import file

    file(org, complainant_phone="13900001111")
    api_client.force_authenticate(org.agent)

    listed = api_client.get("/api/v1/complaints/").json()["results"][0]
    one = api_client.get(f"/api/v1/complaints/{listed['reference']}/").json()
    chain = api_client.get(f"/api/v1/complaints/{listed['reference']}/chain/").json()

    assert listed["complainant_phone"] == "139****1111"
    assert all(c["complainant_phone"] == "139****1111" for c in chain)
    assert one["complainant_phone"] == "139****1111"
    assert not PersonalDataView.objects.exists()
    revealed = api_client.get(f"/api/v1/complaints/{listed['reference']}/?reveal=1").json()
    assert revealed["complainant_phone"] == "13900001111"  # a role that calls complainants back, logged
    view = PersonalDataView.objects.get()
    assert (view.user, view.subject, view.fields) == (org.agent, listed["reference"], "complainant_phone")


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


def test_customer_export_quotes_text_a_spreadsheet_would_run_as_a_formula(clerk, org):
    from tests.factories import CustomerFactory

    CustomerFactory(
        outlet=org.outlet,
        category=org.residential,
        name='=HYPERLINK("http://evil.example","x")',
        address="+1 渝中区",
    )

    response = clerk.get("/customers/export.csv", {"q": "HYPERLINK"})
    text = response.content.decode("utf-8-sig")

    assert response.status_code == 200
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


# ---------------------------------------------------------------- the OpenAPI schema matches the API


def test_schema_documents_nullable_fields_and_the_unpaged_timeline(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    events = schema["paths"]["/api/v1/tickets/{reference}/events/"]["get"]["responses"]["200"]

    assert components["Ticket"]["properties"]["assignee"]["nullable"] is True
    assert components["Ticket"]["properties"]["customer"]["nullable"] is True
    assert components["Event"]["properties"]["actor"]["nullable"] is True
    assert components["OrgUnit"]["properties"]["parent"]["nullable"] is True
    assert events["content"]["application/json"]["schema"]["type"] == "array"


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


@pytest.mark.parametrize("value", ["1015-01-16T19:14:07-16:31", "2026-03-01T00:00:00+23:59"])
def test_complaint_api_time_filters_accept_any_offset_python_does(api_client, org, value):
    api_client.force_authenticate(org.agent)

    response = api_client.get("/api/v1/complaints/", {"received_after": value, "received_before": value})

    assert response.status_code == 200


def test_complaint_api_time_filter_before_year_one_is_a_field_error(api_client, org):
    api_client.force_authenticate(org.agent)

    response = api_client.get("/api/v1/complaints/", {"received_after": "0001-01-01T00:00:00+15:00"})

    assert response.status_code == 400
    assert response.json()["received_after"] == ["Enter a date and time between the years 1 and 9999."]


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


def test_staff_complaint_with_an_iso_offset_postgresql_would_refuse_is_filed(client, org):
    client.force_login(org.agent)

    response = client.post(
        "/complaints/intake/",
        {
            "source": "hotline",
            "name": "张三",
            "phone": "13900001111",
            "address": "渝中区解放碑路1号",
            "category": "billing.late_fee",
            "severity": "medium",
            "description": "违约金不合理",
            "received_at": "2026-03-01T09:00:00-16:31",
        },
    )

    assert response.status_code == 302


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
