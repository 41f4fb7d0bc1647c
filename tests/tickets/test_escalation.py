"""The escalation ladder's schedule: which step comes next and when, per milestone."""

import pytest

from accounts.models import Role
from notifications.models import Notification
from tests.tickets import escalation_support as support
from tests.tickets.escalation_support import DUE, LEVEL2, LEVEL3, RECEIVED, WARN, account_ticket
from tests.tickets.factories import at, make_ticket, staff
from tickets import alerts, escalation, services
from tickets.ladder import LEVELS
from tickets.models import (
    Channel,
    Escalation,
    EscalationPolicy,
    Milestone,
    SlaState,
    Ticket,
    TicketEvent,
    Unit,
)
from tickets.recipients import RecipientDirectory

ladder = support.ladder


def milestone_of(ticket, code=None):
    qs = Milestone.objects.select_related(
        "ticket__service_type__calendar", "ticket__service_type__escalation_policy", "ticket__org_unit"
    )
    return qs.get(ticket=ticket, code=code) if code else qs.get(ticket=ticket)


@pytest.mark.parametrize(
    ("case", "now", "cursor", "state", "level", "next_at"),
    [
        (
            "monday 11:00, nothing done -> warn tuesday 14:48 (80% of 13.5 working hours)",
            at(2026, 11, 23, 11, 0),
            0,
            SlaState.ON_TIME,
            0,
            WARN,
        ),
        (
            "tuesday 15:00, warned -> supervisor at breach tuesday 17:30",
            at(2026, 11, 24, 15, 0),
            1,
            SlaState.AT_RISK,
            1,
            DUE,
        ),
        (
            "tuesday 18:00, supervisor told -> branch manager one working day later",
            at(2026, 11, 24, 18, 0),
            2,
            SlaState.BREACHED,
            2,
            LEVEL2,
        ),
        (
            "thursday 09:00, branch manager told -> centre three working days after breach",
            at(2026, 11, 26, 9, 0),
            3,
            SlaState.BREACHED,
            3,
            LEVEL3,
        ),
        (
            "tuesday 15:00, the warning not yet sent -> it is due at once (already past)",
            at(2026, 11, 24, 15, 0),
            0,
            SlaState.AT_RISK,
            0,
            WARN,
        ),
    ],
)
def test_next_step_follows_the_ladder(ladder, case, now, cursor, state, level, next_at):
    ticket = account_ticket(ladder)
    m = milestone_of(ticket)
    m.next_action_level = cursor

    escalation.schedule_milestone(m, now=now)

    m.refresh_from_db()
    assert (m.state, m.next_action_level, m.next_action_at) == (state, level, next_at), case
    assert m.warn_at == WARN


def test_a_new_ticket_is_scheduled_for_its_warning(ladder):
    ticket = account_ticket(ladder)
    m = milestone_of(ticket)
    assert (m.due_at, m.warn_at, m.next_action_level, m.next_action_at) == (DUE, WARN, 0, WARN)


def test_after_the_last_level_nothing_is_left(ladder):
    ticket = account_ticket(ladder)
    m = milestone_of(ticket)
    Escalation.objects.bulk_create(
        [Escalation(milestone=m, ticket=ticket, level=lvl, at=DUE, due_at=DUE) for lvl in LEVELS]
    )
    m.next_action_level = None
    m.state = SlaState.BREACHED

    escalation.schedule_milestone(m, now=at(2026, 11, 30, 9, 0))

    assert (m.next_action_at, m.next_action_level) == (None, None)


def test_pausing_stops_the_ladder_and_resuming_picks_it_up_at_the_same_level(ladder):
    ticket = account_ticket(ladder)
    services.accept_ticket(ticket=ticket, actor=ladder.clerk, now=at(2026, 11, 23, 10, 5))
    Milestone.objects.filter(ticket=ticket).update(next_action_level=1)  # the warning was sent

    services.pause_ticket(ticket=ticket, reason="资料不全", actor=ladder.clerk, now=at(2026, 11, 24, 15, 0))
    m = milestone_of(ticket)
    assert (m.next_action_at, m.next_action_level) == (None, 1)

    services.resume_ticket(ticket=ticket, actor=ladder.clerk, now=at(2026, 11, 25, 9, 0))
    m = milestone_of(ticket)
    assert m.next_action_level == 1
    assert m.next_action_at == m.due_at > DUE  # the deadline moved out by the pause; breach is next


def test_meeting_the_milestone_clears_the_next_step(ladder):
    ticket = account_ticket(ladder)
    services.meet_milestone(ticket=ticket, code="complete", actor=ladder.clerk, now=at(2026, 11, 24, 9, 0))
    m = milestone_of(ticket)
    assert (m.state, m.next_action_at) == (SlaState.MET, None)


def test_a_closed_ticket_has_no_next_step(ladder):
    ticket = account_ticket(ladder)
    services.cancel_ticket(ticket=ticket, actor=ladder.clerk, now=at(2026, 11, 23, 11, 0), reason="客户撤回")
    assert milestone_of(ticket).next_action_at is None


@pytest.mark.parametrize(
    ("case", "hotline_due", "warn"),
    [
        (
            "12345 deadline thursday 17:30 -> warn wednesday 17:30",
            at(2026, 11, 26, 17, 30),
            at(2026, 11, 25, 17, 30),
        ),
        (
            "12345 deadline monday 10:00 -> warn the friday before, 10:00",
            at(2026, 11, 30, 10, 0),
            at(2026, 11, 27, 10, 0),
        ),
    ],
)
def test_12345_orders_warn_one_working_day_before_the_hotline_deadline(ladder, case, hotline_due, warn):
    ticket = make_ticket(
        ladder,
        code="H12345",
        now=RECEIVED,
        channel=Channel.CITY_HOTLINE,
        hotline_order_no="12345-2026-0001",
        hotline_due_at=hotline_due,
    )
    overridden = Milestone.objects.get(ticket=ticket, is_override=True)
    assert overridden.due_at == hotline_due
    assert overridden.warn_at == warn, case
    assert overridden.next_action_at == warn


def test_policy_is_data_per_service_type(ladder):
    policy = EscalationPolicy.objects.create(
        code="FAST",
        name="fast",
        warn_percent=50,
        level2_after_amount=2,
        level2_after_unit=Unit.HOURS,
        level3_after_amount=4,
        level3_after_unit=Unit.HOURS,
    )
    ticket = account_ticket(ladder)
    ticket.service_type.escalation_policy = policy
    ticket.service_type.save()
    m = milestone_of(ticket)
    m.next_action_level = 2

    escalation.schedule_milestone(m, now=at(2026, 11, 24, 18, 0))

    assert m.warn_at == at(2026, 11, 24, 9, 15)  # 50% of 13.5 working hours: Monday 6 h + 0.75 h
    assert m.next_action_at == at(2026, 11, 24, 19, 30)  # breach + 2 wall-clock hours


def test_emergencies_use_the_emergency_ladder(ladder):
    ticket = make_ticket(ladder, code="EMR-LEAK-URB", now=RECEIVED)
    m = milestone_of(ticket, "dispatch")  # 10 minutes
    m.next_action_level = 2
    escalation.schedule_milestone(m, now=at(2026, 11, 23, 10, 11))
    assert m.next_action_at == at(2026, 11, 23, 10, 25)  # breach 10:10 + 15 minutes


def test_recipients_follow_the_organisation(ladder):
    ticket = account_ticket(ladder)
    directory = RecipientDirectory([ticket])
    names = {lvl: {r.user.username for r in directory.for_level(ticket, lvl)} for lvl in LEVELS}
    assert names == {0: {"clerk", "tech"}, 1: {"supervisor"}, 2: {"branch_mgr"}, 3: {"centre_mgr"}}

    services.assign_ticket(ticket=ticket, assignee=ladder.tech, actor=ladder.supervisor, now=RECEIVED)
    ticket.refresh_from_db()
    assert [r.user.username for r in RecipientDirectory([ticket]).for_level(ticket, 0)] == ["tech"]


def test_a_level_nobody_holds_passes_up(ladder):
    ticket = make_ticket(ladder, code="ACC-SVC", now=RECEIVED, customer=ladder.far_customer)
    directory = RecipientDirectory([ticket])
    # OUT03 has no supervisor and BR02 no manager: the centre hears of levels 1 and 2.
    assert [r.user.username for r in directory.for_level(ticket, 1)] == ["centre_mgr"]
    assert [r.user.username for r in directory.for_level(ticket, 2)] == ["centre_mgr"]


def test_an_emergency_alerts_handlers_and_the_supervisor_at_creation(
    ladder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(ladder, code="EMR-LEAK-URB", now=RECEIVED)
    alerted = set(
        Notification.objects.filter(ticket=ticket, kind="emergency", channel="in_app").values_list(
            "recipient__username", flat=True
        )
    )
    assert alerted == {"clerk", "tech", "supervisor"}
    assert Notification.objects.filter(ticket=ticket, kind="emergency", channel="sms").count() == 3
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.NOTIFICATION)
    assert "3" in event.message


def test_no_alert_for_an_ordinary_ticket(ladder, django_capture_on_commit_callbacks):
    staff(username="extra", role=Role.FRONT_DESK, org_unit=ladder.outlet)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = account_ticket(ladder)
    assert not Notification.objects.filter(ticket=ticket).exists()


def test_an_emergency_alert_is_written_with_its_ticket_before_any_commit(
    ladder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = make_ticket(ladder, code="EMR-LEAK-URB", now=RECEIVED)
        # Still inside the creating transaction: the alert rows are there, only delivery waits.
        assert Notification.objects.filter(ticket=ticket, kind="emergency", channel="in_app").count() == 3
    assert callbacks  # delivery is queued once the ticket commits


class _FailingTimeline:
    Kind = TicketEvent.Kind

    class objects:  # noqa: N801 - stands in for TicketEvent.objects
        @staticmethod
        def create(**kwargs):
            raise RuntimeError("disk full")


@pytest.mark.parametrize("broken", ["alert", "write after the alert"])
def test_an_emergency_and_its_alert_exist_together_or_not_at_all(ladder, monkeypatch, broken):
    if broken == "alert":

        def notify(**kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(alerts, "notify", notify)
    else:
        monkeypatch.setattr(alerts, "TicketEvent", _FailingTimeline)

    with pytest.raises(RuntimeError, match="disk full"):
        make_ticket(ladder, code="EMR-LEAK-URB", now=RECEIVED)

    assert not Ticket.objects.filter(service_type__code="EMR-LEAK-URB").exists()
    assert not Notification.objects.filter(kind="emergency").exists()
