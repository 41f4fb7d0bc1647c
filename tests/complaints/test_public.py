"""The public pages: the complaint form (no login), the confirmation, tracking, abuse protection."""

import pytest
from django.test import Client
from django.urls import reverse

from complaints import services
from complaints.models import Complaint, Remedy
from notifications.models import Notification

from .factories import MON, disguised_exe, file, oversized_png, pdf, png, text_as_jpg

pytestmark = pytest.mark.django_db

NEW = reverse("complaints:new")
TRACK = reverse("complaints:track")
SCRIPT = '<script>alert("x")</script>'


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def form_data(**overrides):
    data = {
        "name": "王小明",
        "phone": "13900005555",
        "email": "",
        "account_no": "",
        "address": "渝中区民族路88号",
        "category": "billing.arrears_dispute",
        "description": "账单显示欠费，但我已经缴清。",
        "requested_remedy": "核实并更正账单",
        "consent": "on",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def errors(response):
    return response.context["form"].errors


def test_form_page_is_public_and_has_the_categories(client, org):
    response = client.get(NEW)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Make a complaint" in html
    assert "Late-fee waiver" in html and "Supply cut for an emergency repair without notice" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="website"' in html  # the honeypot


def test_form_page_in_chinese_for_a_chinese_browser(org):
    response = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").get(NEW)
    assert response.status_code == 200
    assert "违约金减免" in response.content.decode()


def test_submit_files_the_complaint_and_shows_the_reference(client, org):
    response = client.post(NEW, form_data(attachments=[png(), pdf()]))
    assert response.status_code == 302
    complaint = Complaint.objects.select_related("ticket").get()
    assert complaint.source == "web" and complaint.consent_at is not None
    assert complaint.sub_category.code == "billing.arrears_dispute"
    assert complaint.ticket.attachments.count() == 2
    page = client.get(response["Location"])
    assert complaint.reference in page.content.decode()
    assert f"{TRACK}?reference={complaint.reference}" in page.content.decode()
    assert Notification.objects.filter(ticket=complaint.ticket, channel="sms", address="13900005555").exists()


def test_confirmation_without_a_submission_goes_back_to_the_form(client, org):
    response = client.get(reverse("complaints:submitted"))
    assert response.status_code == 302 and response["Location"] == NEW


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "Enter your name."),
        ({"phone": ""}, "phone", "Enter your mobile phone number."),
        ({"phone": "1234567"}, "phone", "Enter a mainland China mobile number"),
        ({"phone": "023-61234567"}, "phone", "Enter a mainland China mobile number"),
        ({"address": ""}, "address", "Enter the address the complaint is about."),
        ({"category": ""}, "category", "Choose a complaint category."),
        ({"category": "no-such"}, "category", "Select a valid choice."),
        ({"description": ""}, "description", "Describe what happened."),
        ({"consent": None}, "consent", "We can only handle the complaint with your consent"),
        ({"account_no": "12345"}, "account_no", "An account number is 10 digits."),
        ({"account_no": "9999999999"}, "account_no", "No gas account has this number."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
    ],
)
def test_bad_input_gets_a_clear_message_and_saves_nothing(client, org, overrides, field, message):
    response = client.post(NEW, form_data(**overrides))
    assert response.status_code == 400
    assert any(message in m for m in errors(response)[field])
    assert message.split(":")[0] in response.content.decode().replace("&#x27;", "'")
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        pytest.param(oversized_png, "the limit is 20.0", id="oversized"),
        pytest.param(disguised_exe, "This file type is not accepted", id="exe named .jpg"),
        pytest.param(text_as_jpg, "This file type is not accepted", id="text named .jpg"),
    ],
)
def test_bad_files_are_refused_by_content(client, org, upload, message):
    response = client.post(NEW, form_data(attachments=[upload()]))
    assert response.status_code == 400
    assert any(message in m for m in errors(response)["attachments"])
    assert not Complaint.objects.exists()


def test_more_than_three_files_are_refused(client, org):
    response = client.post(NEW, form_data(attachments=[png("a.png"), png("b.png"), png("c.png"), pdf()]))
    assert response.status_code == 400
    assert errors(response)["attachments"] == ["Attach at most 3 files."]


def test_account_is_linked_only_when_the_phone_matches(client, org):
    client.post(NEW, form_data(account_no=org.customer.account_no, phone=org.customer.mobile))
    linked = Complaint.objects.get()
    assert linked.customer == org.customer and linked.ticket.org_unit == org.outlet


def test_account_with_another_phone_is_kept_unverified(client, org):
    client.post(NEW, form_data(account_no=org.customer.account_no, phone="13900006666"))
    complaint = Complaint.objects.get()
    assert complaint.customer is None
    assert complaint.account_no_given == org.customer.account_no


def test_honeypot_submission_is_discarded(client, org):
    response = client.post(NEW, form_data(website="http://spam.example"))
    assert response.status_code == 400
    assert "could not be accepted" in response.content.decode()
    assert not Complaint.objects.exists()


def test_csrf_is_enforced(org):
    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    response = strict.post(NEW, form_data())
    assert response.status_code == 403
    assert not Complaint.objects.exists()


def test_double_submit_gives_the_same_reference_and_saves_once(client, org):
    client.post(NEW, form_data())
    first = client.get(reverse("complaints:submitted")).context["reference"]
    client.post(NEW, form_data())
    again = client.get(reverse("complaints:submitted")).context["reference"]
    assert first == again
    assert Complaint.objects.count() == 1


def test_too_many_from_one_phone_get_a_polite_429(client, org, settings):
    settings.COMPLAINT_RATES = {"ip": "100/h", "phone": "2/h", "track": "100/h"}
    for n in range(2):
        assert client.post(NEW, form_data(description=f"第{n}次投诉")).status_code == 302
    response = client.post(NEW, form_data(description="第三次"))
    assert response.status_code == 429
    assert "Please wait a moment" in response.content.decode()
    assert "Nothing you sent earlier is lost" in response.content.decode()
    assert Complaint.objects.count() == 2


def test_too_many_from_one_address_get_a_polite_429(client, org, settings):
    settings.COMPLAINT_RATES = {"ip": "3/h", "phone": "100/h", "track": "100/h"}
    for n in range(3):
        client.post(NEW, form_data(phone=f"1390000{n:04d}", description=f"投诉{n}"))
    response = client.post(NEW, form_data(phone="13900009998", description="再来"))
    assert response.status_code == 429
    assert Complaint.objects.count() == 3


def test_rate_limit_cache_outage_does_not_lose_the_complaint(client, org, settings):
    settings.RATELIMIT_USE_CACHE = "no-such-cache"
    response = client.post(NEW, form_data())
    assert response.status_code == 302
    assert Complaint.objects.count() == 1


# ---------------------------------------------------------------- tracking


def answered(org, **kwargs):
    complaint = file(org, **kwargs)
    complaint = services.acknowledge_complaint(complaint=complaint, actor=org.agent, now=MON)
    from tickets import services as ticket_services

    ticket_services.add_note(ticket=complaint.ticket, text="内部备注：客户情绪激动", actor=org.agent, now=MON)
    return services.respond_to_complaint(
        complaint=complaint,
        response_text="您好，违约金已减免。",
        remedy=Remedy.CORRECTION,
        actor=org.agent,
        now=MON,
    )


def test_tracking_with_the_right_phone_shows_public_replies_only(client, org):
    org.agent.first_name, org.agent.last_name = "Agent", "Smith"
    org.agent.save()
    complaint = answered(org)
    response = client.post(TRACK, {"reference": complaint.reference.lower(), "phone": "139 0000 1111"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "您好，违约金已减免。" in html
    assert "内部备注" not in html  # internal notes never reach the public page
    assert "Smith" not in html and "agent" not in html.lower().replace("user-agent", "")
    assert "Answered" in html
    assert "promised by" in html or "done" in html


def test_tracking_form_is_prefilled_from_the_sms_link(client, org):
    response = client.get(f"{TRACK}?reference=GS20260302-00001")
    assert 'value="GS20260302-00001"' in response.content.decode()


@pytest.mark.parametrize("case", ["wrong phone", "wrong reference"])
def test_tracking_mismatch_gets_one_generic_message(client, org, case):
    complaint = answered(org)
    data = (
        {"reference": complaint.reference, "phone": "13900009999"}
        if case == "wrong phone"
        else {"reference": "GS20990101-00001", "phone": "13900001111"}
    )
    response = client.post(TRACK, data)
    html = response.content.decode()
    assert "We could not find a complaint with this reference and phone number." in html
    assert "违约金已减免" not in html


def test_tracking_is_rate_limited(client, org, settings):
    settings.COMPLAINT_RATES = {"ip": "100/h", "phone": "100/h", "track": "2/h"}
    for _ in range(2):
        client.post(TRACK, {"reference": "GS20990101-00001", "phone": "13900001111"})
    assert client.post(TRACK, {"reference": "GS20990101-00001", "phone": "13900001111"}).status_code == 429


# ---------------------------------------------------------------- escaping


def test_html_in_every_field_is_escaped_on_the_tracking_page(client, org):
    client.post(
        NEW, form_data(name=SCRIPT, address=SCRIPT + "街道1号", description=SCRIPT, requested_remedy=SCRIPT)
    )
    complaint = Complaint.objects.get()
    services.acknowledge_complaint(complaint=complaint, actor=org.agent, now=MON)
    services.respond_to_complaint(
        complaint=complaint, response_text=SCRIPT, remedy=Remedy.NONE, actor=org.agent, now=MON
    )
    html = client.post(TRACK, {"reference": complaint.reference, "phone": "13900005555"}).content.decode()
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_html_in_the_form_is_escaped_when_shown_back_with_errors(client, org):
    html = client.post(NEW, form_data(name=SCRIPT, consent=None)).content.decode()
    assert SCRIPT not in html
    assert "&lt;script&gt;" in html


def test_phone_typed_with_spaces_or_country_code_is_accepted(client, org):
    response = client.post(NEW, form_data(phone="+86 139 0000-5555"))
    assert response.status_code == 302
    assert Complaint.objects.get().complainant_phone == "13900005555"


def test_simultaneous_identical_submission_is_filed_once(client, org, settings):
    from django.core.cache import cache

    from complaints.views import submission_key

    data = form_data()
    cache.add(submission_key(data["phone"], data["description"]), 1, timeout=60)  # another tap in flight
    response = client.post(NEW, data)
    assert response.status_code == 429
    assert not Complaint.objects.exists()
