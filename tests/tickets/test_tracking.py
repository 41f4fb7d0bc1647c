"""Tracking every case by reference + phone; replies delivered by SMS/email rows and shown on
tracking; the receipt's tracking link and QR code; the organisation profile on printed texts."""

import pytest
from django.test import Client

from accounts.models import OrganisationProfile
from complaints.models import Source
from notifications.models import Notification
from tests.complaints.factories import file
from tickets import services

from .factories import at, make_ticket

pytestmark = pytest.mark.django_db

MON = at(2026, 3, 2, 9, 0)
TRACK = "/track/"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SMS_BACKEND = "console"
    settings.PUBLIC_BASE_URL = "https://service.example.cn"


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_a_service_ticket_reply_is_sent_by_sms_and_shown_on_tracking(org, client):
    OrganisationProfile.objects.create(name="山城燃气有限公司", sms_signature="山城燃气", hotline="023-96577")
    ticket = make_ticket(org, now=MON)
    services.add_note(ticket=ticket, text="内部：师傅明天去", actor=org.tech, now=MON)
    services.add_reply(ticket=ticket, text="师傅将于明天上午上门检修。", actor=org.clerk, now=MON)
    sms = Notification.objects.get(ticket=ticket, kind="reply")
    assert (sms.channel, sms.address, sms.recipient) == (Notification.Channel.SMS, org.customer.mobile, None)
    # The SMS text is in the site's language, signed by the company.
    assert sms.rendered_body.startswith("山城燃气")
    assert f"https://service.example.cn/track/?reference={ticket.reference}" in sms.rendered_body
    assert "师傅将于明天上午上门检修。" in sms.rendered_body

    page = client.post(TRACK, {"reference": ticket.reference.lower(), "phone": org.customer.mobile})
    html = page.content.decode()
    assert page.status_code == 200 and "师傅将于明天上午上门检修。" in html
    assert "内部" not in html and "Tech" not in html  # no internal notes, no staff names
    assert "Repair" in html or "维修" in html


def test_walk_in_contact_phone_tracks_too_and_a_landline_gets_no_sms(org, client):
    ticket = services.create_ticket(
        service_type=make_ticket(org, now=MON).service_type,
        channel="web",
        description="灶具打不着火",
        actor=org.clerk,
        now=MON,
        contact_name="王先生",
        contact_phone="023-61234567",
    )
    services.add_reply(ticket=ticket, text="已安排上门。", actor=org.clerk, now=MON)
    assert not Notification.objects.filter(ticket=ticket, kind="reply").exists()
    assert (
        "已安排上门。"
        in client.post(TRACK, {"reference": ticket.reference, "phone": "02361234567"}).content.decode()
    )


def test_complaint_reply_goes_out_once_worded_for_the_complaint_and_tracks_on_the_same_page(org, client):
    complaint = file(org, source=Source.HOTLINE, complainant_email="zhang@example.cn")
    from complaints import services as complaint_services

    complaint_services.acknowledge_complaint(complaint=complaint, actor=org.agent, now=MON)
    complaint_services.respond_to_complaint(
        complaint=complaint, response_text="违约金已退还。", remedy="none", actor=org.agent, now=MON
    )
    kinds = sorted(
        Notification.objects.filter(ticket=complaint.ticket, recipient=None).values_list(
            "template", "channel"
        )
    )
    assert ("complaint.answered", "sms") in kinds and ("complaint.answered", "email") in kinds
    assert not [k for k in kinds if k[0] == "ticket.reply"]
    html = client.post(TRACK, {"reference": complaint.reference, "phone": "13900001111"}).content.decode()
    assert "违约金已退还。" in html


def test_ticket_reply_on_a_complaint_is_emailed_as_well(org):
    complaint = file(org, source=Source.HOTLINE, complainant_email="zhang@example.cn")
    services.add_reply(ticket=complaint.ticket, text="我们正在核查。", actor=org.agent, now=MON)
    channels = set(Notification.objects.filter(kind="reply").values_list("channel", "address"))
    assert channels == {("sms", "13900001111"), ("email", "zhang@example.cn")}


@pytest.mark.parametrize(
    "reference, phone",
    [
        ("right", "13900009999"),  # wrong phone
        ("GS20990101-00001", "right"),  # wrong reference
        ("right", "123"),  # too short to be a phone
    ],
)
def test_one_answer_for_every_mismatch(org, client, reference, phone):
    ticket = make_ticket(org, now=MON)
    data = {
        "reference": ticket.reference if reference == "right" else reference,
        "phone": org.customer.mobile if phone == "right" else phone,
    }
    html = client.post(TRACK, data).content.decode()
    assert "We could not find a request with this reference and phone number." in html
    assert ticket.reference not in html.split('id="track-form"')[1].split("</form>")[1]


def test_tracking_is_rate_limited(org, client, settings):
    settings.TRACKING_RATE = "2/h"
    for _ in range(2):
        assert (
            client.post(TRACK, {"reference": "GS20990101-00001", "phone": "13900001111"}).status_code == 200
        )
    response = client.post(TRACK, {"reference": "GS20990101-00001", "phone": "13900001111"})
    assert response.status_code == 429 and "Please wait a moment" in response.content.decode()


def test_receipt_names_the_company_and_prints_the_tracking_link_and_qr_code(org):
    OrganisationProfile.objects.create(
        name="山城燃气有限公司",
        name_en="Shancheng Gas Co., Ltd.",
        hotline="023-96577",
        website="https://gas.example.cn",
    )
    org.outlet.opening_hours = "周一至周日 8:30-17:30"
    org.outlet.phone = "023-63800101"
    org.outlet.save()
    ticket = make_ticket(org, now=MON)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(org.clerk)
    html = client.get(f"/tickets/{ticket.reference}/receipt/").content.decode()
    assert "山城燃气有限公司" in html and "023-96577" in html and "https://gas.example.cn" in html
    assert f"https://service.example.cn/track/?reference={ticket.reference}" in html
    assert "<svg" in html and 'class="segno"' in html
    assert "周一至周日 8:30-17:30" in html and "023-63800101" in html
    assert "gasservice" not in html.split('<article class="receipt')[1]


def test_without_a_profile_the_settings_stand_in(settings):
    settings.SITE_NAME, settings.SERVICE_HOTLINE = "燃气客服", "96777"
    profile = OrganisationProfile.current()
    assert (profile.name, profile.hotline, profile.pk) == ("燃气客服", "96777", None)
