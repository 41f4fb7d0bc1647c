"""The queues' SLA state: by the clock in the query (no sweep needed), and the sweep keeps the
stored state and nearest deadline right."""

import datetime as dt

from tests.tickets import escalation_support as support
from tests.tickets.escalation_support import DUE, RECEIVED, WARN, account_ticket
from tests.tickets.factories import make_ticket
from tickets import selectors, services
from tickets.models import SlaState
from tickets.sweep import sweep_due_milestones

ladder = support.ladder
MINUTE = dt.timedelta(minutes=1)


def queue_row(user, ticket, **filters):
    rows = selectors.queue_for(user, scope="all", **filters).rows
    return next((row for row in rows if row.pk == ticket.pk), None)


def test_queue_shows_at_risk_after_the_warning_and_breached_after_the_deadline(ladder):
    ticket = account_ticket(ladder)
    steps = [
        (WARN - MINUTE, SlaState.ON_TIME),
        (WARN + MINUTE, SlaState.AT_RISK),
        (DUE - MINUTE, SlaState.AT_RISK),
        (DUE + MINUTE, SlaState.BREACHED),
    ]
    for now, state in steps:
        sweep_due_milestones(now=now)
        row = queue_row(ladder.agent, ticket)
        assert (row.sla_state, row.next_due_at) == (state, DUE), now
        assert queue_row(ladder.agent, ticket, sla_state=state, now=now) is not None, now


def test_a_late_sweep_goes_straight_to_breached(ladder):
    ticket = account_ticket(ladder)
    sweep_due_milestones(now=DUE + dt.timedelta(hours=2))
    row = queue_row(ladder.agent, ticket)
    assert (row.sla_state, row.next_due_at, row.escalation_level) == (SlaState.BREACHED, DUE, 1)


def test_the_worst_running_milestone_sets_the_state_and_the_nearest_one_the_deadline(ladder):
    # INS-RES: "accept" the same working day (17:30), "survey_design" within 5 working days.
    ticket = make_ticket(ladder, code="INS-RES", now=RECEIVED, received_at=RECEIVED)
    due = {m.code: m.due_at for m in ticket.milestones.all()}
    assert due["accept"] < due["survey_design"]

    sweep_due_milestones(now=due["accept"] + MINUTE)
    row = queue_row(ladder.agent, ticket)
    assert (row.sla_state, row.next_due_at) == (SlaState.BREACHED, due["accept"])

    # Accepting meets the late milestone: the queue now follows the survey's clock, on time again.
    services.accept_ticket(ticket=ticket, actor=ladder.clerk, now=due["accept"] + 2 * MINUTE)
    sweep_due_milestones(now=due["accept"] + 3 * MINUTE)
    row = queue_row(ladder.agent, ticket)
    assert (row.sla_state, row.next_due_at) == (SlaState.ON_TIME, due["survey_design"])


def test_with_no_sweep_run_an_overdue_ticket_is_breached_everywhere(ladder, api_client, client):
    import time_machine

    from notifications.digest import send_supervisor_digests
    from notifications.models import Notification
    from tickets.ui_selectors import team_ticket_counts

    ticket = account_ticket(ladder)
    later = DUE + MINUTE
    assert ticket.sla_state == SlaState.ON_TIME  # as stored: no sweep has run

    with time_machine.travel(later, tick=False):
        breached = selectors.queue_for(ladder.supervisor, scope="all", sla_state="breached").rows
        assert [t.pk for t in breached] == [ticket.pk]
        assert not selectors.queue_for(ladder.supervisor, scope="all", sla_state="on_time").rows
        assert team_ticket_counts(ladder.supervisor)["breached"] == 1
        api_client.force_authenticate(ladder.supervisor)
        assert api_client.get(f"/api/v1/tickets/{ticket.reference}/").json()["sla_state"] == "breached"
        client.force_login(ladder.supervisor)
        html = client.get("/tickets/?scope=all").content.decode()
        assert 'class="badge sla-breached"' in html
        send_supervisor_digests(now=later)
    digest = Notification.objects.get(recipient=ladder.supervisor, kind="digest", channel="in_app")
    assert digest.params["breached"] == 1

    with time_machine.travel(WARN + MINUTE, tick=False):
        assert team_ticket_counts(ladder.supervisor)["at_risk"] == 1
        assert ticket.sla_state_now == SlaState.AT_RISK
