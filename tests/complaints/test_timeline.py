"""The complaint steps on the timeline: stored as codes with parameters, read in the reader's language
with people's full names; rows recorded before that still read well."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from complaints import services
from complaints.models import Remedy, RootCause
from tests.tickets.factories import make_ticket
from tickets.models import TicketEvent

from .factories import MON, file

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)
migration = importlib.import_module("complaints.migrations.0002_timeline_step_codes")


@pytest.fixture
def handler(org):
    org.agent.first_name, org.agent.last_name = "李娜", ""
    org.agent.save()
    return org.agent


def timeline_of(complaint, user, language) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    page = client.get(f"/complaints/{complaint.reference}/").content.decode()
    return page[page.index('id="timeline-heading"') :]


def handled(org, handler):
    """A complaint taken through every step by the handler, in Chinese (the site's language)."""
    with translation.override("zh-hans"):
        complaint = file(org, actor=handler)
        services.acknowledge_complaint(complaint=complaint, actor=handler, now=MON + HOUR)
        services.record_investigation(
            complaint=complaint,
            findings="违约金按规定收取",
            is_substantiated=True,
            root_cause=RootCause.POLICY,
            department_at_fault=org.outlet,
            actor=handler,
            now=MON + 2 * HOUR,
        )
        services.respond_to_complaint(
            complaint=complaint,
            response_text="您好，违约金已减免。",
            remedy=Remedy.BILL_CREDIT,
            remedy_amount=Decimal("12.50"),
            actor=handler,
            now=MON + 3 * HOUR,
        )
        services.close_complaint(
            complaint=complaint, customer_accepted=True, actor=handler, now=MON + 4 * HOUR
        )
        services.reopen_complaint(
            complaint=complaint, reason="用户不认可答复", actor=handler, now=MON + 5 * HOUR
        )
        related = make_ticket(org, now=MON)
        services.link_related(complaint=complaint, ticket=related, actor=handler, now=MON + 6 * HOUR)
    return complaint, related


@pytest.mark.parametrize(
    "language, expected",
    [
        (
            "en",
            [
                "Complaint filed",
                "Meter reading and billing, source: Hotline",
                "Complaint acknowledged",
                "Investigation recorded",
                "substantiated, root cause Policy or tariff rule · department at fault: 解放碑营业厅",
                "Answer sent",
                "remedy: Bill credit, 12.50 CNY",
                "Complaint closed",
                "Customer accepted the answer.",
                "Appeal",
                "appeal no. 1",
                "用户不认可答复",
                "Related case linked",
            ],
        ),
        (
            "zh-hans",
            [
                "已登记投诉",
                "抄表收费，来源：客服热线",
                "已确认受理投诉",
                "属实，根本原因：政策或价格规定 · 责任部门：解放碑营业厅",
                "已发送答复",
                "补救措施：账单抵扣，12.50 元",
                "投诉已关闭",
                "客户接受答复。",
                "第 1 次申诉",
                "用户不认可答复",
                "已关联案件",
            ],
        ),
    ],
)
def test_the_steps_read_in_the_readers_language_with_full_names(org, handler, language, expected):
    complaint, related = handled(org, handler)
    timeline = timeline_of(complaint, handler, language)
    for text in expected:
        assert text in timeline, text
    assert related.reference in timeline
    assert "李娜" in timeline and "· agent" not in timeline and ">agent<" not in timeline
    assert "complaints." not in timeline and "policy" not in timeline and "bill_credit" not in timeline


def test_new_steps_store_a_code_and_what_the_clerk_wrote_never_a_sentence(org, handler):
    complaint, related = handled(org, handler)
    steps = [
        (e.data["step"], e.message)
        for e in TicketEvent.objects.filter(ticket=complaint.ticket).order_by("at", "id")
        if "step" in e.data
    ]
    assert steps == [
        ("complaints.file", ""),
        ("complaints.acknowledge", ""),
        ("complaints.investigate", ""),
        ("complaints.respond", ""),
        ("complaints.close", ""),
        ("complaints.reopen", "用户不认可答复"),
        ("complaints.link", ""),
    ]
    investigated = TicketEvent.objects.get(ticket=complaint.ticket, data__step="complaints.investigate")
    assert investigated.data == {
        "step": "complaints.investigate",
        "is_substantiated": True,
        "root_cause": "policy",
        "department_at_fault": "OUT01",
    }


def test_a_clerks_note_is_kept_beside_the_step(org, handler):
    complaint = file(org, actor=handler)
    services.acknowledge_complaint(complaint=complaint, actor=handler, now=MON + HOUR, note="已电话告知")
    services.record_contact(complaint=complaint, note="上门了解情况", actor=handler, now=MON + 2 * HOUR)
    timeline = timeline_of(complaint, handler, "en")
    assert "Complaint acknowledged" in timeline and "已电话告知" in timeline
    assert "Complainant contacted" in timeline and "上门了解情况" in timeline


def test_the_timeline_reads_no_more_queries_with_more_steps(org, handler):
    complaint, related = handled(org, handler)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(handler)

    def queries_of_the_page():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/complaints/{complaint.reference}/").status_code == 200
        return len(queries)

    before = queries_of_the_page()
    for n in range(3):
        now = MON + (7 + n) * HOUR
        services.record_contact(complaint=complaint, note=f"第{n + 2}次联系", actor=handler, now=now)
        other = make_ticket(org, now=MON)
        services.link_related(complaint=complaint, ticket=other, actor=handler, now=now)
    assert queries_of_the_page() == before


def old_row(complaint, step, message, **data):
    return TicketEvent.objects.create(
        ticket=complaint.ticket,
        kind=TicketEvent.Kind.FIELD,
        at=MON + HOUR,
        message=message,
        data={"step": step, **data},
    )


def test_rows_recorded_as_sentences_become_codes_and_read_in_the_readers_language(org, handler):
    complaint = file(org, actor=handler)
    TicketEvent.objects.filter(ticket=complaint.ticket, data__step="complaints.file").delete()
    rows = [
        old_row(
            complaint, "file", "已登记投诉：抄表收费，来源：热线。", category="billing", source="hotline"
        ),
        old_row(complaint, "acknowledge", "已确认受理投诉。"),
        old_row(complaint, "contact", "电话联系张先生"),
        old_row(complaint, "respond", "Answer sent; remedy: Apology.", remedy="apology"),
        old_row(complaint, "close", "客户未接受答复，已关闭。", customer_accepted=False),
        old_row(complaint, "reopen", "申诉：金额不对", reopen_count=1),
        old_row(complaint, "link", "已关联案件：GS20260301-00007。", ticket="GS20260301-00007"),
    ]
    migration.to_codes(apps, None)
    migrated = [TicketEvent.objects.get(pk=row.pk) for row in rows]
    assert [(e.data["step"], e.message) for e in migrated] == [
        ("complaints.file", ""),
        ("complaints.acknowledge", ""),
        ("complaints.contact", "电话联系张先生"),
        ("complaints.respond", ""),
        ("complaints.close", ""),
        ("complaints.reopen", "金额不对"),
        ("complaints.link", ""),
    ]
    timeline = timeline_of(complaint, handler, "en")
    for text in (
        "Meter reading and billing, source: Hotline",
        "Complaint acknowledged",
        "电话联系张先生",
        "remedy: Apology",
        "Closed without the customer&#x27;s acceptance.",
        "appeal no. 1",
        "金额不对",
        "GS20260301-00007",
    ):
        assert text in timeline, text
    assert "已登记投诉" not in timeline and "已确认受理投诉" not in timeline and "申诉：" not in timeline


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ("Investigation recorded", "substantiated, root cause Policy or tariff rule")),
        ("zh-hans", ("已记录调查", "属实，根本原因：政策或价格规定")),
    ],
)
def test_the_api_gives_each_step_its_title_and_summary_in_the_requests_language(
    org, handler, language, expected
):
    complaint, _related = handled(org, handler)
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(handler)
    events = client.get(f"/api/v1/tickets/{complaint.reference}/events/").json()
    investigated = next(e for e in events if e["data"].get("step") == "complaints.investigate")
    assert (investigated["title"], investigated["summary"].split(" · ")[0]) == expected
    assert investigated["actor"] == "agent" and investigated["message"] == ""
