"""The deadline sweep: each step once, on the timeline, to the right people, at a constant query cost."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from tests.tickets import escalation_support as support
from tests.tickets.escalation_support import (
    DUE,
    LEVEL2,
    LEVEL3,
    RECEIVED,
    WARN,
    account_ticket,
    in_app_recipients,
    levels_of,
    timeline_kinds,
)
from tests.tickets.factories import at
from tickets import services
from tickets.models import (
    Escalation,
    EscalationPolicy,
    Milestone,
    ServiceType,
    SlaState,
    Ticket,
    TicketEvent,
    Unit,
)
from tickets.sweep import sweep_due_milestones

ladder = support.ladder
MINUTE = dt.timedelta(minutes=1)
# Per chunk: claim (ids), the claimed rows, staff of the chunk's units, escalations, events,
# notifications, milestones, tickets; plus SAVEPOINT/RELEASE twice (a test runs inside a
# transaction, and the chunk's work runs in a savepoint of its own so a failing row can be set aside).
QUERIES_PER_CHUNK = 8 + 2 + 2


def test_one_ticket_climbs_the_whole_ladder_once_per_step(ladder):
    ticket = account_ticket(ladder)
    steps = [
        (WARN - MINUTE, [], set()),
        (WARN + MINUTE, [0], {"clerk", "tech"}),
        (DUE + MINUTE, [0, 1], {"supervisor"}),  # and the handlers again
        (LEVEL2 + MINUTE, [0, 1, 2], {"branch_mgr"}),
        (LEVEL3 + MINUTE, [0, 1, 2, 3], {"centre_mgr"}),
    ]
    seen = set()
    for now, levels, new_recipients in steps:
        sweep_due_milestones(now=now)
        assert levels_of(ticket) == levels, now
        everyone = in_app_recipients(ticket)
        assert everyone - seen == new_recipients, now
        seen = everyone

    ticket.refresh_from_db()
    assert ticket.escalation_level == 3
    assert ticket.sla_state == SlaState.BREACHED
    assert timeline_kinds(ticket) == ["warning", "escalated", "escalated", "escalated"]
    m = Milestone.objects.get(ticket=ticket)
    assert (m.state, m.next_action_at, m.next_action_level) == (SlaState.BREACHED, None, None)
    # Email for every step, SMS from level 2 on (the branch and centre managers have mobiles).
    sms = set(
        Notification.objects.filter(ticket=ticket, channel="sms").values_list(
            "recipient__username", flat=True
        )
    )
    assert sms == {"branch_mgr", "centre_mgr"}
    # Warning: clerk, tech; breach: clerk, tech, supervisor; level 2: branch; level 3: centre.
    assert Notification.objects.filter(ticket=ticket, channel="email", status="pending").count() == 7
    level1 = Escalation.objects.get(ticket=ticket, level=1)
    assert {(r["id"], r["role"]) for r in level1.recipients} == {
        (ladder.clerk.pk, "front_desk"),
        (ladder.tech.pk, "technician"),
        (ladder.supervisor.pk, "outlet_supervisor"),
    }
    assert level1.due_at == DUE


def test_sweeping_twice_at_the_same_moment_does_nothing_new(ladder):
    ticket = account_ticket(ladder)
    first = sweep_due_milestones(now=DUE + MINUTE)
    counts = (Escalation.objects.count(), TicketEvent.objects.count(), Notification.objects.count())

    second = sweep_due_milestones(now=DUE + MINUTE)

    # A late sweep performs only the breach; the warning is recorded as skipped, nobody is warned.
    assert (first.warnings, first.escalations, first.skipped) == (0, 1, 1)
    assert (second.claimed, second.warnings, second.escalations) == (0, 0, 0)
    assert (Escalation.objects.count(), TicketEvent.objects.count(), Notification.objects.count()) == counts
    assert levels_of(ticket) == [0, 1]


def test_a_step_already_recorded_is_not_repeated_even_if_the_milestone_comes_round_again(ladder):
    ticket = account_ticket(ladder)
    sweep_due_milestones(now=WARN + MINUTE)
    Milestone.objects.filter(ticket=ticket).update(next_action_level=0, next_action_at=WARN)  # lost progress

    result = sweep_due_milestones(now=WARN + 2 * MINUTE)

    assert result.claimed == 1 and result.warnings == 0
    assert TicketEvent.objects.filter(ticket=ticket, kind="warning").count() == 1
    assert Milestone.objects.get(ticket=ticket).next_action_at == DUE


def test_a_met_or_paused_milestone_is_not_escalated(ladder):
    met = account_ticket(ladder)
    paused = account_ticket(ladder)
    services.meet_milestone(ticket=met, code="complete", actor=ladder.clerk, now=at(2026, 11, 24, 9, 0))
    services.accept_ticket(ticket=paused, actor=ladder.clerk, now=at(2026, 11, 24, 9, 0))
    services.pause_ticket(ticket=paused, reason="客户不在家", actor=ladder.clerk, now=at(2026, 11, 24, 9, 1))

    result = sweep_due_milestones(now=LEVEL3 + MINUTE)

    assert result.claimed == 0
    assert not Escalation.objects.exists()


def test_a_row_that_fails_is_put_off_and_does_not_stop_the_others(ladder, monkeypatch):
    broken = account_ticket(ladder)
    fine = account_ticket(ladder)
    import tickets.ladder

    real = tickets.ladder.compute_warn_at

    def failing(milestone, ticket, policy, cal):
        if ticket.pk == broken.pk:
            raise ValueError("calendar data broken")
        return real(milestone, ticket, policy, cal)

    monkeypatch.setattr(tickets.ladder, "compute_warn_at", failing)
    now = DUE + MINUTE
    result = sweep_due_milestones(now=now)

    assert result.errors == 1
    assert levels_of(fine) == [0, 1]
    assert levels_of(broken) == []
    m = Milestone.objects.get(ticket=broken)
    assert "calendar data broken" in m.last_error
    assert m.next_action_at == now + dt.timedelta(minutes=5)


def _due_tickets(org, count):
    Ticket.objects.all().delete()
    for _i in range(count):
        account_ticket(org)


@pytest.mark.parametrize("count", [10, 100])
def test_queries_per_sweep_do_not_grow_with_due_rows(ladder, count, django_assert_max_num_queries):
    _due_tickets(ladder, count)
    with django_assert_max_num_queries(QUERIES_PER_CHUNK):
        result = sweep_due_milestones(now=DUE + MINUTE, chunk_size=500)
    assert result.escalations == count


def test_queries_per_chunk_are_constant(ladder):
    _due_tickets(ladder, 12)
    with CaptureQueriesContext(connection) as few:
        sweep_due_milestones(now=WARN + MINUTE, chunk_size=5)  # 3 chunks
    assert len(few) <= 3 * QUERIES_PER_CHUNK


def test_nothing_due_is_one_query(ladder, django_assert_num_queries):
    account_ticket(ladder)
    with django_assert_num_queries(1 + 2):
        result = sweep_due_milestones(now=WARN - MINUTE)
    assert result.claimed == 0


def test_management_command_runs_one_sweep_and_prints_counts(ladder, capsys):
    ticket = account_ticket(ladder)
    call_command("sweep_deadlines", "--now", (DUE + MINUTE).isoformat())
    counts = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (counts["warnings"], counts["escalations"], counts["skipped"]) == (0, 1, 1)
    assert levels_of(ticket) == [0, 1]


# ---------------------------------------------------------------- the set-based paths keep the rules


def test_a_level_raised_meanwhile_is_never_lowered(ladder):
    ticket = account_ticket(ladder)
    Ticket.objects.filter(pk=ticket.pk).update(escalation_level=3)  # another transaction got further

    sweep_due_milestones(now=DUE + MINUTE)

    ticket.refresh_from_db()
    assert levels_of(ticket) == [0, 1]
    assert (ticket.escalation_level, ticket.sla_state) == (3, SlaState.BREACHED)


def test_a_step_already_recorded_still_brings_the_tickets_state_up_to_date(ladder):
    """The ledger has the warning but the ticket shows no level (say, restored from a backup):
    nothing is recorded twice, the missing level stays missing, and sla_state is made current."""
    ticket = account_ticket(ladder)
    sweep_due_milestones(now=WARN + MINUTE)
    Ticket.objects.filter(pk=ticket.pk).update(escalation_level=None, sla_state=SlaState.ON_TIME)
    Milestone.objects.filter(ticket=ticket).update(next_action_level=0, next_action_at=WARN)

    result = sweep_due_milestones(now=WARN + 2 * MINUTE)

    assert (result.errors, result.warnings) == (0, 0)
    ticket.refresh_from_db()
    assert (ticket.escalation_level, ticket.sla_state) == (None, SlaState.AT_RISK)
    assert Milestone.objects.get(ticket=ticket).next_action_at == DUE


def test_an_assignee_without_an_active_staff_profile_is_still_warned(ladder):
    ticket = account_ticket(ladder)
    services.assign_ticket(ticket=ticket, assignee=ladder.tech, actor=ladder.supervisor, now=RECEIVED)
    type(ladder.tech).objects.filter(pk=ladder.tech.pk).update(is_active=False)

    sweep_due_milestones(now=WARN + MINUTE)

    assert in_app_recipients(ticket) == {"tech"}
    warning = Escalation.objects.get(ticket=ticket, level=0)
    assert [r["id"] for r in warning.recipients] == [ladder.tech.pk]


def test_a_policy_of_the_service_type_is_read_with_the_rows(ladder):
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
    ServiceType.objects.filter(pk=ticket.service_type_id).update(escalation_policy=policy)

    sweep_due_milestones(now=DUE + 2 * dt.timedelta(hours=1) + MINUTE)  # breach + 2 h: level 2 too

    assert levels_of(ticket) == [0, 1, 2]
    m = Milestone.objects.get(ticket=ticket)
    assert m.warn_at == at(2026, 11, 24, 9, 15)  # 50% of 13.5 working hours
    assert (m.next_action_level, m.next_action_at) == (3, DUE + dt.timedelta(hours=4))


# ---------------------------------------------------------------- a poisoned row never stalls the sweep


def _poison(monkeypatch, poisoned_ids):
    """Fail the recipients of some tickets: a step's work after its plan (rows written, then rolled back)."""
    from tickets.recipients import RecipientDirectory

    real = RecipientDirectory.audience

    def audience(self, ticket, level):
        if ticket.pk in poisoned_ids:
            raise RuntimeError("recipient lookup failed")
        return real(self, ticket, level)

    monkeypatch.setattr(RecipientDirectory, "audience", audience)


@pytest.mark.parametrize("where", ["middle", "head"])
def test_one_poisoned_row_among_100_due_sets_aside_only_itself(ladder, monkeypatch, where, client):
    tickets = [account_ticket(ladder) for _i in range(100)]
    poisoned = tickets[50] if where == "middle" else tickets[0]
    if where == "head":  # the oldest step: the first row of the first chunk, claimed first every time
        Milestone.objects.filter(ticket=poisoned).update(next_action_at=WARN - dt.timedelta(hours=1))
    _poison(monkeypatch, {poisoned.pk})
    now = DUE + MINUTE

    result = sweep_due_milestones(now=now, chunk_size=30)

    assert (result.claimed, result.escalations, result.errors) == (100, 99, 1)
    assert all(levels_of(t) == [0, 1] for t in tickets if t.pk != poisoned.pk)
    assert levels_of(poisoned) == []
    assert not Notification.objects.filter(ticket=poisoned).exists()
    m = Milestone.objects.get(ticket=poisoned)
    assert "RuntimeError: recipient lookup failed" in m.last_error
    assert (m.sweep_failures, m.next_action_at) == (1, now + dt.timedelta(minutes=5))
    assert client.get("/healthz").json()["sweep_set_aside"] == 1

    # Still poisoned at its retry: put off longer (10 minutes), while new work goes on.
    later = account_ticket(ladder, now=at(2026, 11, 24, 9, 0))
    retry = now + dt.timedelta(minutes=5)
    second = sweep_due_milestones(now=retry + dt.timedelta(days=1))
    assert second.errors == 1 and 1 in levels_of(later)
    m.refresh_from_db()
    assert m.sweep_failures == 2
    assert m.next_action_at == retry + dt.timedelta(days=1, minutes=10)

    # Fixed: the next try performs its step and clears the error.
    monkeypatch.undo()
    third = sweep_due_milestones(now=m.next_action_at)
    m.refresh_from_db()
    assert third.errors == 0 and (m.last_error, m.sweep_failures) == ("", 0)
    assert levels_of(poisoned)[-1] == 2  # a day later: the branch level, the steps before it skipped


def test_retry_delay_grows_and_is_capped():
    from tickets.sweep import retry_delay

    assert [retry_delay(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert retry_delay(30) == dt.timedelta(hours=6)


# ---------------------------------------------------------------- catching up after an outage


def test_a_milestone_three_steps_behind_sends_one_notification_not_four(ladder):
    ticket = account_ticket(ladder)

    result = sweep_due_milestones(now=LEVEL3 + MINUTE)  # the worker was down since before the warning

    assert (result.escalations, result.warnings, result.skipped) == (1, 0, 3)
    assert levels_of(ticket) == [0, 1, 2, 3]
    skipped = Escalation.objects.filter(ticket=ticket, is_skipped=True)
    assert sorted(skipped.values_list("level", flat=True)) == [0, 1, 2]
    assert all(e.recipients == [] for e in skipped)
    in_app = Notification.objects.filter(ticket=ticket, channel="in_app")
    assert list(in_app.values_list("recipient__username", "kind")) == [("centre_mgr", "breach")]
    assert not Notification.objects.filter(kind="warning").exists()  # never "approaching" after breach
    assert timeline_kinds(ticket) == ["escalated"]
    ticket.refresh_from_db()
    assert (ticket.escalation_level, ticket.sla_state) == (3, SlaState.BREACHED)
