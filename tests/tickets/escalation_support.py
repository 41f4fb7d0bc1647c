"""Shared set-up for the escalation, sweep and notification tests: an organisation with the whole
ladder staffed (handlers, outlet supervisor, branch manager, centre manager) and dated tickets."""

import pytest

from accounts.models import Role, StaffProfile
from notifications.models import Notification
from tests.tickets.factories import Org, at, make_ticket, staff
from tickets.models import Escalation, TicketEvent

# ACC-SVC "complete" is 1 working day. Received Monday 2026-11-23 10:00 (Mon-Fri 08:30-12:00,
# 13:30-17:30): due Tuesday 17:30; 80% of the 13.5 working hours is 10.8 h -> Tuesday 14:48;
# branch manager one working day after breach (Wednesday 17:30), centre three (Friday 17:30).
RECEIVED = at(2026, 11, 23, 10, 0)
WARN = at(2026, 11, 24, 14, 48)
DUE = at(2026, 11, 24, 17, 30)
LEVEL2 = at(2026, 11, 25, 17, 30)
LEVEL3 = at(2026, 11, 27, 17, 30)


class Ladder(Org):
    """The tickets tests' organisation plus the managers above the outlet, with addresses."""

    def __init__(self):
        super().__init__()
        self.branch_manager = staff(username="branch_mgr", role=Role.BRANCH_MANAGER, org_unit=self.branch)
        self.centre_manager = staff(username="centre_mgr", role=Role.CENTRE_MANAGER, org_unit=self.centre)
        for n, user in enumerate(
            [self.clerk, self.tech, self.supervisor, self.branch_manager, self.centre_manager]
        ):
            user.email = f"{user.username}@gas.example"
            user.save(update_fields=["email"])
            StaffProfile.objects.filter(user=user).update(mobile=f"1391234{n:04d}")


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ladder(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS  # seven staff; the real hasher costs seconds each
    return Ladder()


def account_ticket(org, *, now=RECEIVED, **kwargs):
    """A one-milestone ticket (ACC-SVC, 1 working day) received at `now`."""
    return make_ticket(org, code="ACC-SVC", now=now, received_at=kwargs.pop("received_at", now), **kwargs)


def levels_of(ticket) -> list[int]:
    return list(Escalation.objects.filter(ticket=ticket).order_by("level").values_list("level", flat=True))


def in_app_recipients(ticket) -> set[str]:
    qs = Notification.objects.filter(
        ticket=ticket, channel=Notification.Channel.IN_APP, kind__in=["warning", "breach"]
    )
    return set(qs.values_list("recipient__username", flat=True))


def timeline_kinds(ticket) -> list[str]:
    return list(
        TicketEvent.objects.filter(
            ticket=ticket, kind__in=[TicketEvent.Kind.WARNING, TicketEvent.Kind.ESCALATED]
        )
        .order_by("at", "id")
        .values_list("kind", flat=True)
    )
