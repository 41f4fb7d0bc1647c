"""The complaint steps: filing on every channel, repeats, the standards chosen, milestones, messages."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from complaints import services
from complaints.models import Complaint, Remedy, RootCause, Severity, Source, normalize_address
from notifications.delivery import DeliveryError, SmsGateway, deliver_pending
from notifications.models import Notification
from tickets.models import Priority, Status, TicketEvent

from .factories import MON, category, disguised_exe, file, png

pytestmark = pytest.mark.django_db


class FailingGateway(SmsGateway):
    def send(self, phone, text, *, key=""):
        raise DeliveryError("gateway down")


def milestone(complaint, code):
    return complaint.ticket.milestones.get(code=code)


# ---------------------------------------------------------------- filing


def test_filing_creates_ticket_with_the_complaint_standard_and_the_file(org):
    complaint = file(org, requested_remedy="免除违约金")
    ticket = complaint.ticket
    assert ticket.service_type.code == "CMP-STD"
    assert ticket.complaint == complaint
    assert ticket.status == Status.NEW
    assert ticket.reference.startswith("GS20260302-")
    assert sorted(ticket.milestones.values_list("code", flat=True)) == [
        "acknowledge",
        "callback",
        "contact",
        "reply",
    ]
    assert complaint.category.code == "billing" and complaint.sub_category.code == "billing.late_fee"
    assert complaint.requested_remedy == "免除违约金"
    assert not complaint.is_repeat
    assert TicketEvent.objects.filter(ticket=ticket, data__step="complaints.file").exists()


def test_customer_complaint_goes_to_the_customers_outlet(org):
    complaint = file(org, customer=org.customer, complainant_phone=org.customer.mobile)
    assert complaint.ticket.org_unit == org.outlet
    assert complaint.ticket.customer == org.customer


def test_anonymous_web_complaint_goes_to_the_call_centre_when_there_is_one(org):
    from tests.factories import OrgUnitFactory

    call_centre = OrgUnitFactory(code="CC", name="呼叫中心", kind="call_centre", parent=org.centre)
    complaint = file(org, source=Source.WEB, actor=None)
    assert complaint.ticket.org_unit == call_centre
    assert complaint.ticket.created_by is None


def test_clerk_at_an_outlet_keeps_the_complaint_at_the_outlet(org):
    complaint = file(org, actor=org.clerk, source=Source.SERVICE_HALL)
    assert complaint.ticket.org_unit == org.outlet


def test_safety_category_uses_the_safety_standard(org):
    complaint = file(org, code="safety", severity=Severity.HIGH)
    ticket = complaint.ticket
    assert ticket.service_type.code == "CMP-SAFE"
    assert ticket.is_safety_or_supply
    assert ticket.priority == Priority.HIGH
    dispatch = milestone(complaint, "dispatch")
    assert dispatch.due_at == MON + datetime.timedelta(minutes=10)


@pytest.mark.parametrize(
    ("hotline_due_at", "expected_reply_due", "is_override"),
    [
        # 7 working days from Monday 2 March 09:00 = Wednesday 11 March 17:30; the hotline wants Thursday 5th.
        pytest.param(
            MON + datetime.timedelta(days=3),
            MON + datetime.timedelta(days=3),
            True,
            id="12345 deadline earlier than the standard wins",
        ),
        pytest.param(
            MON + datetime.timedelta(days=30),
            datetime.datetime(2026, 3, 11, 17, 30, tzinfo=MON.tzinfo),
            False,
            id="12345 deadline later than the standard: the standard stays",
        ),
    ],
)
def test_12345_order_uses_the_hotline_standard_and_the_earlier_deadline(
    org, hotline_due_at, expected_reply_due, is_override
):
    complaint = file(
        org, source=Source.CITY_HOTLINE, hotline_order_no="12345-0001", hotline_due_at=hotline_due_at
    )
    ticket = complaint.ticket
    assert ticket.service_type.code == "H12345"
    assert ticket.hotline_order_no == "12345-0001"
    reply = milestone(complaint, "reply")
    assert reply.due_at == expected_reply_due
    assert reply.is_override is is_override


def test_12345_safety_order_gets_the_24_hour_feedback(org):
    complaint = file(org, code="safety", source=Source.CITY_HOTLINE, hotline_order_no="12345-0002")
    codes = set(complaint.ticket.milestones.values_list("code", flat=True))
    assert codes == {"sign", "feedback"}
    assert milestone(complaint, "feedback").due_at == MON + datetime.timedelta(hours=24)


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"description": "  "}, "description", "Describe what the complaint is about."),
        ({"complainant_name": ""}, "complainant_name", "Enter the complainant's name."),
        (
            {"complainant_phone": "12345"},
            "complainant_phone",
            "Enter a mobile number (11 digits starting with 13-19) or a landline",
        ),
        (
            {"source": Source.CITY_HOTLINE},
            "hotline_order_no",
            "A 12345 order needs the hotline's order number.",
        ),
        ({"hotline_order_no": "X1"}, "hotline_order_no", "Only a 12345 order has"),
        ({"source": Source.WEB, "actor": None, "consent_at": None}, "consent", "must consent"),
        ({"attachments": [png(), png(), png(), png()]}, "attachments", "Attach at most 3 files."),
        ({"attachments": [disguised_exe()]}, "attachments", "photo.jpg: This file type is not accepted."),
    ],
)
def test_filing_refuses_bad_input_with_clear_messages(org, kwargs, field, message):
    source = kwargs.pop("source", Source.HOTLINE)
    with pytest.raises(ValidationError) as exc:
        if source == Source.WEB:
            file(org, source=source, **kwargs)
        else:
            file(org, source=source, **kwargs)
    assert any(message in m for m in exc.value.message_dict[field])
    assert not Complaint.objects.exists()


def test_sub_category_must_belong_to_the_category(org):
    with pytest.raises(ValidationError) as exc:
        services.file_complaint(
            source=Source.HOTLINE,
            category=category("billing"),
            sub_category=category("pipe.relocation_fee"),
            description="x",
            complainant_name="李四",
            complainant_phone="13900002222",
            actor=org.agent,
            now=MON,
        )
    assert "does not belong" in exc.value.message_dict["sub_category"][0]


def test_attachments_are_stored_public_on_the_ticket(org):
    complaint = file(org, attachments=[png()])
    attachment = complaint.ticket.attachments.get()
    assert attachment.content_type == "image/png"
    assert attachment.is_public


# ---------------------------------------------------------------- repeats


def test_repeat_within_90_days_is_linked_to_the_first_and_raised_one_level(org):
    first = file(org, now=MON)
    second = file(org, now=MON + datetime.timedelta(days=30), complainant_address="")
    third = file(
        org,
        now=MON + datetime.timedelta(days=60),
        complainant_phone="13900009999",
        complainant_address="渝中区 解放碑路１号",
    )  # same address, written differently
    assert not first.is_repeat
    assert second.is_repeat and second.repeat_of == first
    assert third.is_repeat and third.repeat_of == first  # the earliest of the chain, not the previous one
    assert second.ticket.priority == Priority.HIGH  # medium severity = normal, one level up
    assert first.ticket.priority == Priority.NORMAL


def test_repeat_by_account(org):
    first = file(org, customer=org.customer, complainant_phone="13900003333", complainant_address="")
    second = file(
        org,
        now=MON + datetime.timedelta(days=1),
        customer=org.customer,
        complainant_phone="13900004444",
        complainant_address="",
    )
    assert second.repeat_of == first


def test_after_90_days_it_is_a_new_complaint(org):
    file(org, now=MON)
    later = file(org, now=MON + datetime.timedelta(days=91))
    assert not later.is_repeat
    assert later.repeat_of is None
    assert later.ticket.priority == Priority.NORMAL


def test_urgent_stays_urgent_when_repeated(org):
    file(org, severity=Severity.CRITICAL)
    again = file(org, severity=Severity.CRITICAL, now=MON + datetime.timedelta(hours=1))
    assert again.ticket.priority == Priority.URGENT


def test_short_addresses_are_too_vague_to_match():
    assert normalize_address("1号") == ""
    assert normalize_address("渝中区 解放碑路１号。") == normalize_address("渝中区解放碑路1号")


# ---------------------------------------------------------------- acknowledgement to the complainant


def test_acknowledgement_sms_and_email_rows_are_written_with_the_complaint(org):
    complaint = file(org, complainant_email="zhang@example.com")
    rows = Notification.objects.filter(
        ticket=complaint.ticket, kind="complaint", template="complaint.received"
    )
    assert {(n.channel, n.address) for n in rows} == {("sms", "13900001111"), ("email", "zhang@example.com")}
    sms = rows.get(channel="sms")
    assert complaint.reference in sms.rendered_body
    assert "/complaints/track/?reference=" in sms.rendered_body
    assert sms.status == Notification.DeliveryStatus.PENDING


def test_landline_complainant_gets_no_sms(org):
    complaint = file(org, complainant_phone="023-61234567")
    assert not Notification.objects.filter(ticket=complaint.ticket, channel="sms").exists()


def test_acknowledgement_survives_a_failing_sms_gateway(org, settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "tests.complaints.test_services.FailingGateway"
    with django_capture_on_commit_callbacks(execute=False):
        complaint = file(org)
    counts = deliver_pending(now=MON, ids=list(Notification.objects.values_list("pk", flat=True)))
    assert counts["retry"] == 1
    sms = Notification.objects.get(ticket=complaint.ticket, channel="sms")
    assert sms.status == Notification.DeliveryStatus.PENDING
    assert sms.attempts == 1 and "gateway down" in sms.last_error
    assert sms.next_attempt_at > MON  # retried later, not lost
    assert Complaint.objects.filter(pk=complaint.pk).exists()


def test_acknowledgement_delivery_is_queued_after_commit(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        file(org)
    assert callbacks, "delivery is queued once the complaint is committed"


# ---------------------------------------------------------------- the steps


def test_full_lifecycle_meets_each_milestone(org):
    complaint = file(org)
    t = MON + datetime.timedelta(hours=1)
    complaint = services.acknowledge_complaint(complaint=complaint, actor=org.agent, now=t)
    assert complaint.acknowledged_at == t
    assert milestone(complaint, "acknowledge").met_at == t
    assert complaint.ticket.status == Status.ACCEPTED

    complaint = services.record_contact(complaint=complaint, note="电话联系张先生", actor=org.agent, now=t)
    assert milestone(complaint, "contact").met_at == t

    t += datetime.timedelta(hours=2)
    complaint = services.record_investigation(
        complaint=complaint,
        findings="违约金按规定收取",
        is_substantiated=True,
        root_cause=RootCause.POLICY,
        department_at_fault=org.outlet,
        actor=org.agent,
        now=t,
    )
    assert complaint.root_cause == RootCause.POLICY and complaint.department_at_fault == org.outlet
    assert complaint.ticket.status == Status.IN_PROGRESS

    t += datetime.timedelta(hours=2)
    answer = "张先生您好：\n经核实，违约金已为您减免。\n  如有疑问请致电。"
    complaint = services.respond_to_complaint(
        complaint=complaint,
        response_text=answer,
        remedy=Remedy.BILL_CREDIT,
        remedy_amount=Decimal("12.50"),
        actor=org.agent,
        now=t,
    )
    assert complaint.response_text == answer  # exactly what was sent
    assert complaint.remedy_amount == Decimal("12.50")
    assert milestone(complaint, "reply").met_at == t
    assert complaint.ticket.status == Status.RESOLVED
    reply = TicketEvent.objects.get(ticket=complaint.ticket, kind=TicketEvent.Kind.REPLY)
    assert reply.is_public and reply.message == answer
    assert Notification.objects.filter(
        ticket=complaint.ticket, kind="complaint", template="complaint.answered", channel="sms"
    ).exists()

    t += datetime.timedelta(days=1)
    complaint = services.close_complaint(complaint=complaint, customer_accepted=True, actor=org.agent, now=t)
    assert complaint.customer_accepted and complaint.closed_at == t
    assert milestone(complaint, "callback").met_at == t
    assert complaint.ticket.status == Status.CLOSED
    assert complaint.stage == "closed"


def test_reopen_on_appeal_needs_a_new_answer(org):
    complaint = file(org)
    complaint = services.acknowledge_complaint(complaint=complaint, actor=org.agent, now=MON)
    complaint = services.respond_to_complaint(
        complaint=complaint,
        response_text="已处理",
        remedy=Remedy.APOLOGY,
        actor=org.agent,
        now=MON + datetime.timedelta(hours=1),
    )
    complaint = services.close_complaint(
        complaint=complaint, customer_accepted=True, actor=org.agent, now=MON + datetime.timedelta(hours=2)
    )
    complaint = services.reopen_complaint(
        complaint=complaint, reason="用户不认可答复", actor=org.agent, now=MON + datetime.timedelta(days=1)
    )
    assert complaint.reopen_count == 1 and complaint.appeal_reason == "用户不认可答复"
    assert complaint.responded_at is None and complaint.closed_at is None
    assert complaint.ticket.status == Status.IN_PROGRESS
    assert milestone(complaint, "reply").met_at is None  # a new answer is due
    complaint = services.respond_to_complaint(
        complaint=complaint,
        response_text="再次核实后…",
        remedy=Remedy.CORRECTION,
        actor=org.agent,
        now=MON + datetime.timedelta(days=2),
    )
    assert complaint.ticket.status == Status.RESOLVED


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("investigate", "Acknowledge the complaint before recording the investigation."),
        ("respond", "Acknowledge the complaint before answering it."),
        ("close", "Answer the complaint before closing it."),
        ("reopen", "Only an answered complaint can be reopened."),
    ],
)
def test_steps_out_of_order_are_refused(org, step, message):
    complaint = file(org)
    call = {
        "investigate": lambda: services.record_investigation(
            complaint=complaint,
            findings="x",
            is_substantiated=False,
            root_cause=RootCause.OTHER,
            actor=org.agent,
            now=MON,
        ),
        "respond": lambda: services.respond_to_complaint(
            complaint=complaint, response_text="x", remedy=Remedy.NONE, actor=org.agent, now=MON
        ),
        "close": lambda: services.close_complaint(
            complaint=complaint, customer_accepted=True, actor=org.agent, now=MON
        ),
        "reopen": lambda: services.reopen_complaint(
            complaint=complaint, reason="x", actor=org.agent, now=MON
        ),
    }[step]
    with pytest.raises(ValidationError) as exc:
        call()
    assert message in exc.value.messages


def test_acknowledging_twice_is_refused(org):
    complaint = services.acknowledge_complaint(complaint=file(org), actor=org.agent, now=MON)
    with pytest.raises(ValidationError, match="already acknowledged"):
        services.acknowledge_complaint(complaint=complaint, actor=org.agent, now=MON)


@pytest.mark.parametrize(
    ("remedy", "amount", "field", "message"),
    [
        (Remedy.COMPENSATION, None, "remedy_amount", "need an amount above zero"),
        (Remedy.APOLOGY, Decimal("5"), "remedy_amount", "Only compensation and bill credits have an amount."),
        ("cash", None, "remedy", "Choose the remedy offered"),
    ],
)
def test_remedy_rules(org, remedy, amount, field, message):
    complaint = services.acknowledge_complaint(complaint=file(org), actor=org.agent, now=MON)
    with pytest.raises(ValidationError) as exc:
        services.respond_to_complaint(
            complaint=complaint,
            response_text="答复",
            remedy=remedy,
            remedy_amount=amount,
            actor=org.agent,
            now=MON,
        )
    assert any(message in m for m in exc.value.message_dict[field])


def test_substantiated_needs_the_department_at_fault(org):
    complaint = services.acknowledge_complaint(complaint=file(org), actor=org.agent, now=MON)
    with pytest.raises(ValidationError) as exc:
        services.record_investigation(
            complaint=complaint,
            findings="属实",
            is_substantiated=True,
            root_cause=RootCause.STAFF_CONDUCT,
            actor=org.agent,
            now=MON,
        )
    assert "department at fault" in exc.value.message_dict["department_at_fault"][0]


def test_closing_without_acceptance_needs_a_note(org):
    complaint = services.acknowledge_complaint(complaint=file(org), actor=org.agent, now=MON)
    complaint = services.respond_to_complaint(
        complaint=complaint, response_text="答复", remedy=Remedy.NONE, actor=org.agent, now=MON
    )
    with pytest.raises(ValidationError) as exc:
        services.close_complaint(complaint=complaint, customer_accepted=False, actor=org.agent, now=MON)
    assert "Explain why" in exc.value.message_dict["note"][0]


def test_link_related_ticket(org):
    from tests.tickets.factories import make_ticket

    complaint = file(org)
    repair = make_ticket(org, now=MON)
    services.link_related(complaint=complaint, ticket=repair, actor=org.agent, now=MON)
    assert list(complaint.related_tickets.all()) == [repair]
    with pytest.raises(ValidationError, match="linked already"):
        services.link_related(complaint=complaint, ticket=repair, actor=org.agent, now=MON)
    with pytest.raises(ValidationError, match="cannot be related to itself"):
        services.link_related(complaint=complaint, ticket=complaint.ticket, actor=org.agent, now=MON)
