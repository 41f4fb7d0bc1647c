"""A clean start: the demo's past cases send no SMS or email; SMS logs mask the number; the API
docs and schema need a staff login in production unless a setting opens them."""

import json

import pytest
from django.test import Client
from django.utils import timezone

from notifications.delivery import ConsoleSmsGateway, FileSmsGateway
from notifications.models import Notification
from notifications.services import notify, withheld
from tests.complaints.factories import file
from tests.tickets.factories import Org, at, make_ticket
from tickets import services
from tickets.demo import seed_demo_tickets
from tickets.messages import TRANSFERRED, subject_for
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

EXTERNAL = (Notification.Channel.SMS, Notification.Channel.EMAIL)


@pytest.fixture(autouse=True)
def _console(settings):
    settings.SMS_BACKEND = "console"


def test_demo_tickets_send_nothing_outside(db):
    org = Org()
    assert seed_demo_tickets(now=timezone.now(), count=30) == 30  # one of them a caller waiting in triage
    assert Ticket.objects.filter(needs_routing=True).count() == 1
    assert not Notification.objects.filter(channel__in=EXTERNAL).exists()
    # Outside the demo, a reply is sent again.
    ticket = make_ticket(org, now=timezone.now())
    services.add_reply(ticket=ticket, text="已处理", actor=org.clerk, now=timezone.now())
    assert Notification.objects.filter(ticket=ticket, channel=Notification.Channel.SMS).exists()


def test_withheld_keeps_in_app_rows_and_drops_sms_and_email(db):
    org = Org()
    with withheld():
        complaint = file(org, complainant_email="a@example.cn", now=at(2026, 3, 2, 9, 0))
        notify(
            recipients=[org.supervisor],
            kind="transfer",
            template=TRANSFERRED,
            params={"unit": "u", "from_unit": "f", "reason": "r"},
            subject=subject_for(complaint.ticket),
            now=at(2026, 3, 2, 9, 0),
            channels=(Notification.Channel.EMAIL,),
        )
    channels = list(Notification.objects.values_list("channel", flat=True))
    assert channels == [Notification.Channel.IN_APP]


def test_console_and_file_sms_logs_mask_the_number(capsys, tmp_path):
    ConsoleSmsGateway().send("13912345678", "您的工单已受理")
    assert "SMS to 139****5678: 您的工单已受理" in capsys.readouterr().out
    FileSmsGateway(str(tmp_path / "sms.log")).send("13912345678", "您好")
    line = json.loads((tmp_path / "sms.log").read_text())
    assert line["to"] == "139****5678" and "13912345678" not in (tmp_path / "sms.log").read_text()


def test_api_docs_need_a_staff_login_in_production(settings, db):
    settings.API_DOCS_PUBLIC = False
    anonymous = Client()
    docs = anonymous.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/login/?next=/api/docs/")
    assert anonymous.get("/api/schema/").status_code in (401, 403)
    org = Org()
    staff = Client()
    staff.force_login(org.clerk)
    assert staff.get("/api/docs/").status_code == 200
    assert staff.get("/api/schema/").status_code == 200


def test_a_setting_opens_the_api_docs(settings, db):
    settings.API_DOCS_PUBLIC = True
    assert Client().get("/api/docs/").status_code == 200
    assert Client().get("/api/schema/").status_code == 200


def test_withheld_covers_the_satisfaction_survey_sms(db):
    from satisfaction.outbox import queue_customer_sms

    org = Org()
    ticket = make_ticket(org, now=timezone.now())
    message = {
        "ticket": ticket,
        "phone": "13912345678",
        "link": "https://gas.example.org/survey/x/",
        "company": "山城燃气",
        "send_at": timezone.now(),
    }
    with withheld():
        assert queue_customer_sms([message], now=timezone.now()) == 0
    assert not Notification.objects.filter(channel__in=EXTERNAL).exists()
