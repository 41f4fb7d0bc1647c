"""Helpers for the satisfaction tests: cases closed through the ticket services, answers."""

import datetime

from accounts.models import Role
from satisfaction.models import Survey
from tests.tickets.factories import SHANGHAI, make_ticket, staff
from tickets import services as ticket_services

MON = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)  # Monday 2 March 2026, a working day

GOOD = {"T1": 5, "T2": 5, "R1": 4, "R2": 5, "S1": 5, "S2": 4, "A1": 5, "A2": 5, "E1": 5, "E2": None}


def closed_case(org, *, code="RPR-RES", now=MON, customer=None, handler=None, **kwargs):
    """A case received, worked, resolved and closed at `now` (by default by the outlet's technician)."""
    handler = handler or org.tech
    ticket = make_ticket(org, code=code, now=now, customer=customer, **kwargs)
    ticket = ticket_services.assign_ticket(ticket=ticket, assignee=handler, actor=handler, now=now)
    ticket = ticket_services.start_work(ticket=ticket, actor=handler, now=now)
    ticket = ticket_services.resolve_ticket(ticket=ticket, actor=handler, now=now)
    return ticket_services.close_ticket(ticket=ticket, actor=handler, now=now)


def survey_of(ticket) -> Survey:
    return Survey.objects.exclude(state=Survey.State.WITHDRAWN).get(ticket=ticket)


def branch_manager(org):
    return staff(username="branchmgr", role=Role.BRANCH_MANAGER, org_unit=org.branch)


def closed_callback_case(org, *, now=MON, **kwargs):
    """A closed case followed up by phone, with the callback ticket the worker opens after commit."""
    from satisfaction.services import open_callback_tickets

    ticket = closed_case(org, now=now, **kwargs)
    open_callback_tickets(now=now)
    return ticket
