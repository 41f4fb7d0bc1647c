"""The set-based writes keep their rules on every database (PostgreSQL here; SQLite through
tests/tickets/test_sweep_sqlite.py): each row once, only inserted rows returned, a raised
column never lowered and never overwritten by NULL."""

from gasservice.bulk_sql import insert_rows, update_rows
from tests.tickets import escalation_support as support
from tests.tickets.escalation_support import DUE, account_ticket
from tickets.models import Escalation, Milestone, Ticket

ladder = support.ladder


def _step(milestone, level):
    return {
        "milestone_id": milestone.pk,
        "ticket_id": milestone.ticket_id,
        "level": level,
        "due_at": DUE,
        "recipients": [],
        "is_skipped": False,
    }


def test_a_step_inserted_twice_is_written_and_returned_once(ladder):
    m = Milestone.objects.get(ticket=account_ticket(ladder))
    keys = {"returning": ("milestone_id", "level"), "conflict": ("milestone_id", "level")}

    first = insert_rows(Escalation, [_step(m, 0)], shared={"at": DUE}, **keys)
    second = insert_rows(Escalation, [_step(m, 0), _step(m, 1)], shared={"at": DUE}, **keys)

    assert first == [(m.pk, 0)]
    assert second == [(m.pk, 1)]
    assert sorted(Escalation.objects.values_list("level", flat=True)) == [0, 1]


def test_a_raised_level_is_never_lowered_nor_cleared(ladder):
    raised, fresh = account_ticket(ladder), account_ticket(ladder)
    Ticket.objects.filter(pk=raised.pk).update(escalation_level=2)

    def write(level_of_raised, level_of_fresh):
        update_rows(
            Ticket,
            [
                {"id": raised.pk, "escalation_level": level_of_raised, "sla_state": "breached"},
                {"id": fresh.pk, "escalation_level": level_of_fresh, "sla_state": "at_risk"},
            ],
            only_raise=("escalation_level",),
        )
        return dict(Ticket.objects.values_list("pk", "escalation_level"))

    assert write(1, 0) == {raised.pk: 2, fresh.pk: 0}  # lower: kept; from nothing: set
    assert write(None, None) == {raised.pk: 2, fresh.pk: 0}  # NULL never overwrites
    assert write(3, 1) == {raised.pk: 3, fresh.pk: 1}  # higher: raised
    assert set(Ticket.objects.values_list("sla_state", flat=True)) == {"breached", "at_risk"}
