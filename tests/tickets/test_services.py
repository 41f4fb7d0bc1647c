"""The ticket service functions: creation, the workflow, pauses, milestones, the 12345 override."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from tickets import hooks, services
from tickets.models import Attachment, Channel, ReferenceCounter, SlaState, Status, Ticket, TicketEvent
from tickets.references import next_reference

from .factories import at, make_ticket, service

pytestmark = pytest.mark.django_db

MON = at(2026, 3, 2, 9, 0)  # Monday 2 March 2026, 09:00, an ordinary working day


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def messages(exc_info, field):
    return exc_info.value.message_dict[field]


def ticket_in(org, status, *, code="RPR-RES", now=MON):
    """A ticket brought to `status` through the services, one minute per step."""
    t = make_ticket(org, code=code, now=now)
    steps = {
        Status.NEW: [],
        Status.ACCEPTED: ["accept"],
        Status.ASSIGNED: ["accept", "assign"],
        Status.IN_PROGRESS: ["accept", "assign", "start"],
        Status.WAITING_CUSTOMER: ["accept", "assign", "start", "pause"],
        Status.RESOLVED: ["accept", "assign", "start", "resolve"],
        Status.CLOSED: ["accept", "assign", "start", "resolve", "close"],
        Status.CANCELLED: ["cancel"],
    }[status]
    actions = {
        "accept": lambda **kw: services.accept_ticket(**kw),
        "assign": lambda **kw: services.assign_ticket(assignee=org.tech, **kw),
        "start": lambda **kw: services.start_work(**kw),
        "pause": lambda **kw: services.pause_ticket(reason="客户资料不全", **kw),
        "resolve": lambda **kw: services.resolve_ticket(**kw),
        "close": lambda **kw: services.close_ticket(**kw),
        "cancel": lambda **kw: services.cancel_ticket(reason="客户撤销", **kw),
    }
    for minute, step in enumerate(steps, start=1):
        t = actions[step](ticket=t, actor=org.clerk, now=now + datetime.timedelta(minutes=minute))
    assert t.status == status
    return t


# ---------------------------------------------------------------- creation


def test_create_ticket_sets_reference_milestones_and_deadlines(org):
    t = make_ticket(org, code="INS-RES", now=MON)
    assert t.reference == "GS20260302-00001"
    assert t.status == Status.NEW and t.segment == "residential" and t.org_unit == org.outlet
    due = {m.code: m.due_at for m in t.milestones.all()}
    assert due["accept"] == at(2026, 3, 2, 17, 30)  # 0 working days: close of business today
    assert due["survey_design"] == at(2026, 3, 9, 17, 30)  # 5 working days
    assert due["works_complete"] is None and due["gas_on"] is None  # start when their predecessor is met
    assert t.next_due_at == at(2026, 3, 2, 17, 30) and t.sla_state == SlaState.ON_TIME
    event = t.events.get()
    assert event.kind == TicketEvent.Kind.CREATED and event.actor == org.clerk


def test_create_ticket_query_count_is_small(org, django_assert_max_num_queries):
    make_ticket(org, now=MON)  # warm the calendar snapshot and policy caches
    customer = org.customer.__class__.objects.select_related("category", "outlet").get(pk=org.customer.pk)
    with django_assert_max_num_queries(12):
        make_ticket(org, code="INS-RES", now=MON, customer=customer)


def test_received_at_earlier_is_kept_and_drives_deadlines(org):
    t = make_ticket(org, code="RPR-RES", now=MON, received_at=MON - datetime.timedelta(hours=3))
    assert t.received_at == MON - datetime.timedelta(hours=3)
    assert {m.code: m.due_at for m in t.milestones.all()}["arrive"] == MON + datetime.timedelta(hours=1)
    assert t.sla_state == SlaState.BREACHED  # "contact within 30 minutes" is already missed


def test_received_at_in_the_future_is_refused(org):
    with pytest.raises(ValidationError) as exc:
        make_ticket(org, now=MON, received_at=MON + datetime.timedelta(hours=1))
    assert messages(exc, "received_at") == ["The receipt time cannot be in the future."]
    assert not Ticket.objects.exists()


def test_received_at_within_clock_skew_is_clamped_to_now(org):
    t = make_ticket(org, now=MON, received_at=MON + datetime.timedelta(seconds=30))
    assert t.received_at == MON


def test_walk_in_needs_a_valid_phone(org):
    with pytest.raises(ValidationError) as exc:
        services.create_ticket(
            service_type=service("ENQ"),
            channel=Channel.SERVICE_HALL,
            description="咨询",
            actor=org.clerk,
            now=MON,
        )
    assert "phone number" in messages(exc, "contact_phone")[0]
    with pytest.raises(ValidationError) as exc:
        services.create_ticket(
            service_type=service("ENQ"),
            channel=Channel.SERVICE_HALL,
            description="咨询",
            actor=org.clerk,
            now=MON,
            contact_phone="12345",
        )
    assert "mobile number" in messages(exc, "contact_phone")[0]
    t = services.create_ticket(
        service_type=service("ENQ"),
        channel=Channel.SERVICE_HALL,
        description="咨询",
        actor=org.clerk,
        now=MON,
        contact_phone="023-61234567",
        contact_name="王先生",
    )
    assert t.org_unit == org.outlet and t.customer is None  # the clerk's outlet


def test_caller_without_account_or_known_address_waits_in_triage(org):
    # No call centre in this organisation: triage falls back to its root.
    ticket = services.create_ticket(
        service_type=service("ENQ"),
        channel=Channel.HOTLINE,
        description="咨询",
        actor=org.agent,
        now=MON,
        contact_phone="13812345678",
    )
    assert (ticket.org_unit, ticket.needs_routing) == (org.centre, True)


def test_service_not_offered_to_segment(org):
    with pytest.raises(ValidationError) as exc:
        make_ticket(org, code="RPR-CI", now=MON)  # commercial/industrial only; the customer is residential
    assert "not offered to" in messages(exc, "service_type")[0]


def test_city_hotline_needs_order_number(org):
    with pytest.raises(ValidationError) as exc:
        make_ticket(org, code="H12345", now=MON, channel=Channel.CITY_HOTLINE)
    assert messages(exc, "hotline_order_no") == ["Give the 12345 order number."]


def test_emergency_is_urgent_by_default(org):
    t = make_ticket(org, code="EMR-LEAK-URB", now=MON, description="闻到燃气味")
    assert t.priority == "urgent"
    assert {m.code: m.due_at for m in t.milestones.all()}["dispatch"] == MON + datetime.timedelta(minutes=10)


def test_preview_deadlines_match_created(org):
    rows = services.preview_deadlines(
        service_type=service("INS-CI-STD"), segment="commercial", received_at=None, now=MON
    )
    t = make_ticket(org, code="INS-CI-STD", now=MON, customer=org.restaurant)
    assert [(r["code"], r["due_at"]) for r in rows] == [(m.code, m.due_at) for m in t.milestones.all()]


# ---------------------------------------------------------------- 12345 hotline


@pytest.mark.parametrize(
    ("name", "is_safety", "hotline_due", "code", "expected_due", "override"),
    [
        (
            "other matter, hotline earlier -> reply takes the hotline's deadline",
            False,
            at(2026, 3, 5, 12, 0),
            "reply",
            at(2026, 3, 5, 12, 0),
            True,
        ),
        (
            "other matter, hotline later -> the published 7 working days stay",
            False,
            at(2026, 3, 30, 12, 0),
            "reply",
            at(2026, 3, 11, 17, 30),
            False,
        ),
        (
            "safety matter, hotline earlier than 24 hours -> feedback takes it",
            True,
            at(2026, 3, 2, 20, 0),
            "feedback",
            at(2026, 3, 2, 20, 0),
            True,
        ),
        (
            "safety matter, hotline later -> feedback within 24 hours",
            True,
            at(2026, 3, 6, 12, 0),
            "feedback",
            at(2026, 3, 3, 9, 0),
            False,
        ),
    ],
)
def test_12345_deadline_override(org, name, is_safety, hotline_due, code, expected_due, override):
    t = make_ticket(
        org,
        code="H12345",
        now=MON,
        channel=Channel.CITY_HOTLINE,
        hotline_order_no="H2026-1",
        hotline_due_at=hotline_due,
        is_safety_or_supply=is_safety,
    )
    milestones = {m.code: m for m in t.milestones.all()}
    assert set(milestones) == {"sign", code}
    assert (milestones[code].due_at, milestones[code].is_override) == (expected_due, override)


def test_hotline_deadline_change_recomputes(org):
    t = make_ticket(org, code="H12345", now=MON, channel=Channel.CITY_HOTLINE, hotline_order_no="H2026-1")
    t = services.update_ticket(
        ticket=t, actor=org.agent, now=MON + datetime.timedelta(hours=1), hotline_due_at=at(2026, 3, 4, 12, 0)
    )
    reply = t.milestones.get(code="reply")
    assert (reply.due_at, reply.is_override) == (at(2026, 3, 4, 12, 0), True)
    assert t.events.filter(kind=TicketEvent.Kind.DEADLINE).exists()


# ---------------------------------------------------------------- transitions

ALL_STATUSES = list(Status.values)
LEGAL = {
    Status.NEW: {Status.ACCEPTED, Status.ASSIGNED, Status.CANCELLED},
    Status.ACCEPTED: {Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.CANCELLED},
    Status.ASSIGNED: {Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.CANCELLED},
    Status.IN_PROGRESS: {Status.WAITING_CUSTOMER, Status.RESOLVED, Status.CANCELLED},
    Status.WAITING_CUSTOMER: {Status.IN_PROGRESS, Status.CANCELLED},  # resume to the paused-from status
    Status.RESOLVED: {Status.CLOSED, Status.IN_PROGRESS},  # in_progress = reopen
    Status.CLOSED: {Status.IN_PROGRESS},
    Status.CANCELLED: set(),
}


@pytest.mark.parametrize(
    ("before", "to"), [(b, t) for b in ALL_STATUSES for t in ALL_STATUSES], ids=lambda v: str(v)
)
def test_transition_table(org, before, to):
    t = ticket_in(org, before)
    now = MON + datetime.timedelta(hours=1)
    if to in LEGAL[before]:
        t = services.transition_ticket(ticket=t, to=to, actor=org.clerk, now=now, reason="原因")
        assert t.status == to
        assert Ticket.objects.get(pk=t.pk).status == to
    else:
        events = t.events.count()
        with pytest.raises(ValidationError) as exc:
            services.transition_ticket(ticket=t, to=to, actor=org.clerk, now=now, reason="原因")
        message = messages(exc, "to")[0]
        assert message.startswith(f"Cannot go from {Status(before).label} to {Status(to).label}.")
        assert Ticket.objects.get(pk=t.pk).status == before and t.events.count() == events


def test_illegal_transition_lists_allowed_targets(org):
    t = ticket_in(org, Status.NEW)
    with pytest.raises(ValidationError) as exc:
        services.transition_ticket(ticket=t, to=Status.RESOLVED, actor=org.clerk, now=MON)
    assert messages(exc, "to") == ["Cannot go from New to Resolved. Allowed: Accepted, Assigned, Cancelled."]


@pytest.mark.parametrize("func", ["pause", "cancel", "reopen"])
def test_reason_required(org, func):
    t = ticket_in(org, Status.RESOLVED if func == "reopen" else Status.IN_PROGRESS)
    call = {
        "pause": services.pause_ticket,
        "cancel": services.cancel_ticket,
        "reopen": services.reopen_ticket,
    }[func]
    with pytest.raises(ValidationError) as exc:
        call(ticket=t, reason="  ", actor=org.clerk, now=MON + datetime.timedelta(hours=1))
    assert messages(exc, "reason") == ["Give a reason."]


def test_status_meets_milestones_and_resolve_records_met_late(org):
    t = ticket_in(org, Status.IN_PROGRESS)  # RPR-RES: arrive met on in_progress
    milestones = {m.code: m for m in t.milestones.all()}
    assert milestones["arrive"].state == SlaState.MET
    t = services.resolve_ticket(ticket=t, actor=org.tech, now=MON + datetime.timedelta(hours=30))
    repair = t.milestones.get(code="repair")
    assert repair.state == SlaState.MET_LATE and repair.met_by == org.tech
    # The "contact within 30 minutes" promise was never recorded: the finished ticket shows the breach.
    assert t.next_due_at is None and t.sla_state == SlaState.BREACHED


def test_assign_new_ticket_accepts_and_assigns(org):
    t = make_ticket(org, code="INS-RES", now=MON)
    t = services.assign_ticket(ticket=t, assignee=org.tech, actor=org.supervisor, now=MON)
    assert t.status == Status.ASSIGNED and t.assignee == org.tech
    assert t.milestones.get(code="accept").state == SlaState.MET


def test_assign_refuses_staff_who_cannot_see_the_ticket(org):
    t = make_ticket(org, now=MON)
    with pytest.raises(ValidationError) as exc:
        services.assign_ticket(ticket=t, assignee=org.far_tech, actor=org.supervisor, now=MON)
    assert "cannot see this ticket" in messages(exc, "assignee")[0]
    t = services.assign_ticket(ticket=t, assignee=org.agent, actor=org.supervisor, now=MON)
    assert t.assignee == org.agent


def test_closed_hook_sent_after_commit(org, django_capture_on_commit_callbacks):
    t = ticket_in(org, Status.RESOLVED)
    seen = []

    def receiver(sender, ticket, **kwargs):
        seen.append((ticket.reference, kwargs["now"]))

    hooks.ticket_closed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.close_ticket(ticket=t, actor=org.clerk, now=MON + datetime.timedelta(hours=2))
    finally:
        hooks.ticket_closed.disconnect(receiver)
    assert seen == [(t.reference, MON + datetime.timedelta(hours=2))]


# ---------------------------------------------------------------- pause / resume


def test_pause_and_resume_move_calendar_deadlines_by_the_pause(org):
    t = ticket_in(org, Status.ACCEPTED, code="RPR-RES")  # repair due 24 h after receipt
    t = services.pause_ticket(
        ticket=t, reason="客户不在家", actor=org.clerk, now=MON + datetime.timedelta(hours=1)
    )
    assert t.paused_at == MON + datetime.timedelta(hours=1)
    assert all(m.next_action_at is None for m in t.milestones.filter(met_at__isnull=True))
    t = services.resume_ticket(ticket=t, actor=org.clerk, now=MON + datetime.timedelta(hours=3))
    assert t.status == Status.ACCEPTED and t.paused_at is None
    due = {m.code: m.due_at for m in t.milestones.all()}
    assert due["repair"] == MON + datetime.timedelta(hours=26)
    assert due["arrive"] == MON + datetime.timedelta(hours=6)
    resumed = t.events.get(kind=TicketEvent.Kind.RESUMED)
    assert resumed.data["after"] == Status.ACCEPTED and len(resumed.data["milestones"]) == 3


def test_pause_over_a_weekend_counts_only_working_time(org):
    # INS-RES survey_design: 5 working days from Monday -> Monday 9 March 17:30.
    t = ticket_in(org, Status.IN_PROGRESS, code="INS-RES")
    friday_16 = at(2026, 3, 6, 16, 0)
    tuesday_9 = at(2026, 3, 10, 9, 0)
    services.pause_ticket(ticket=t, reason="等待审批", actor=org.clerk, now=friday_16)
    t = services.resume_ticket(ticket=t, actor=org.clerk, now=tuesday_9)
    # Paused: Friday 16:00-17:30 (1.5 h) + Monday (7.5 h) + Tuesday until 09:00 (0.5 h) = 9.5 working hours.
    survey = t.milestones.get(code="survey_design")
    assert survey.paused_for == datetime.timedelta(hours=9.5)
    assert survey.due_at == at(2026, 3, 11, 10, 30)


def test_received_at_change_recomputes_and_records(org):
    t = make_ticket(org, code="RPR-RES", now=MON)
    t = services.update_ticket(
        ticket=t,
        actor=org.clerk,
        now=MON + datetime.timedelta(minutes=5),
        received_at=MON - datetime.timedelta(hours=2),
    )
    assert t.milestones.get(code="arrive").due_at == MON + datetime.timedelta(hours=2)
    event = t.events.get(kind=TicketEvent.Kind.RECEIVED_AT)
    assert event.data["before"]["received_at"] == MON.isoformat()
    assert event.data["after"]["received_at"] == (MON - datetime.timedelta(hours=2)).isoformat()
    with pytest.raises(ValidationError) as exc:
        services.update_ticket(
            ticket=t, actor=org.clerk, now=MON, received_at=MON + datetime.timedelta(days=1)
        )
    assert messages(exc, "received_at") == ["The receipt time cannot be in the future."]


def test_update_refuses_unknown_fields(org):
    t = make_ticket(org, now=MON)
    with pytest.raises(ValidationError) as exc:
        services.update_ticket(ticket=t, actor=org.clerk, now=MON, status="closed")
    assert messages(exc, "status") == ["This field cannot be changed here."]


# ---------------------------------------------------------------- milestones


def test_meeting_a_milestone_starts_the_next_clock(org):
    t = ticket_in(org, Status.IN_PROGRESS, code="INS-RES")
    with pytest.raises(ValidationError) as exc:
        services.meet_milestone(ticket=t, code="works_complete", actor=org.tech, now=MON)
    assert "starts when" in messages(exc, "code")[0]
    m = services.meet_milestone(ticket=t, code="survey_design", actor=org.tech, now=at(2026, 3, 4, 10, 0))
    assert m.state == SlaState.MET
    works = t.milestones.get(code="works_complete")
    assert works.started_at == at(2026, 3, 4, 10, 0)
    assert works.due_at == at(2026, 3, 20, 17, 30)  # 12 working days after Wednesday 4 March
    with pytest.raises(ValidationError) as exc:
        services.meet_milestone(ticket=t, code="survey_design", actor=org.tech, now=MON)
    assert "already met" in messages(exc, "code")[0]


def test_meet_late_and_unknown_code(org):
    t = make_ticket(org, code="RPR-RES", now=MON)
    m = services.meet_milestone(
        ticket=t, code="contact", actor=org.tech, now=MON + datetime.timedelta(hours=1)
    )
    assert m.state == SlaState.MET_LATE
    with pytest.raises(ValidationError) as exc:
        services.meet_milestone(ticket=t, code="nope", actor=org.tech, now=MON)
    assert messages(exc, "code") == ["This ticket has no milestone nope."]


def test_reopen_restarts_the_resolve_milestone(org):
    t = ticket_in(org, Status.CLOSED, code="RPR-RES")
    reopen_at = MON + datetime.timedelta(days=2)
    t = services.reopen_ticket(ticket=t, reason="故障复发", actor=org.clerk, now=reopen_at)
    assert t.status == Status.IN_PROGRESS and t.closed_at is None
    repair = t.milestones.get(code="repair")
    assert repair.met_at is None and repair.due_at == reopen_at + datetime.timedelta(hours=24)
    assert repair.state == SlaState.ON_TIME
    assert t.next_due_at == min(m.due_at for m in t.milestones.filter(met_at__isnull=True))


# ---------------------------------------------------------------- atomicity


def test_failing_step_leaves_nothing_half_saved(org, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("scheduler down")

    t = ticket_in(org, Status.IN_PROGRESS)
    events = t.events.count()
    monkeypatch.setattr(services, "schedule_milestone", boom)
    with pytest.raises(RuntimeError):
        make_ticket(org, now=MON)
    with pytest.raises(RuntimeError):
        services.resolve_ticket(ticket=t, actor=org.tech, now=MON + datetime.timedelta(hours=1))
    assert Ticket.objects.count() == 1
    assert ReferenceCounter.objects.get().last == 1  # the failed creation gave its number back
    t.refresh_from_db()
    assert t.status == Status.IN_PROGRESS and t.events.count() == events
    assert t.milestones.get(code="repair").met_at is None


def test_references_count_per_day():
    assert next_reference(MON) == "GS20260302-00001"
    assert next_reference(MON) == "GS20260302-00002"
    assert next_reference(at(2026, 3, 3, 0, 1)) == "GS20260303-00001"
    # 23:30 UTC on 2 March is already 3 March in Shanghai.
    assert next_reference(datetime.datetime(2026, 3, 2, 16, 30, tzinfo=datetime.UTC)) == "GS20260303-00002"


# ---------------------------------------------------------------- notes, replies, attachments

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\nIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_notes_are_internal_and_replies_public(org):
    t = make_ticket(org, now=MON)
    note = services.add_note(ticket=t, text="客户电话无人接听", actor=org.clerk, now=MON)
    reply = services.add_reply(ticket=t, text="师傅下午两点上门", actor=org.clerk, now=MON)
    assert (note.kind, note.is_public) == (TicketEvent.Kind.NOTE, False)
    assert (reply.kind, reply.is_public) == (TicketEvent.Kind.REPLY, True)
    with pytest.raises(ValidationError) as exc:
        services.add_note(ticket=t, text=" ", actor=org.clerk, now=MON)
    assert messages(exc, "text") == ["Write something first."]


def test_attachment_accepted_by_content(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    t = make_ticket(org, now=MON)
    a = services.add_attachment(ticket=t, file=SimpleUploadedFile("photo.txt", PNG), actor=org.clerk, now=MON)
    # Stored re-encoded (tests/tickets/test_photos.py): the size is the stored file's.
    assert (a.content_type, a.size, a.original_name) == ("image/png", a.file.size, "photo.txt")
    assert t.events.filter(kind=TicketEvent.Kind.ATTACHMENT).count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("script.png", b"#!/bin/sh\necho hi\n" * 10, "This file type is not accepted."),
        ("big.pdf", b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024), "the limit is 20.0\xa0MB"),
        ("empty.pdf", b"", "The file is empty."),
    ],
)
def test_attachment_refused(org, settings, tmp_path, name, content, message):
    settings.MEDIA_ROOT = tmp_path
    t = make_ticket(org, now=MON)
    with pytest.raises(ValidationError) as exc:
        services.add_attachment(ticket=t, file=SimpleUploadedFile(name, content), actor=org.clerk, now=MON)
    assert message in messages(exc, "file")[0]
    assert not Attachment.objects.exists()


def test_pdf_by_content(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    t = make_ticket(org, now=MON)
    pdf = io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    upload = SimpleUploadedFile("scan", pdf.getvalue())
    attachment = services.add_attachment(ticket=t, file=upload, actor=org.clerk, now=MON)
    assert attachment.content_type == "application/pdf"
