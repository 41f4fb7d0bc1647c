"""The demo data: every complaint-type ticket has its complaint file, whichever demo runs first."""

import pytest

from complaints.demo import seed_demo_complaints
from complaints.models import Complaint
from tickets.demo import seed_demo_tickets
from tickets.models import ServiceType, Ticket

from .factories import MON

pytestmark = pytest.mark.django_db

COMPLAINT_KINDS = [ServiceType.Category.COMPLAINT, ServiceType.Category.HOTLINE]


def complaint_kind_tickets():
    return Ticket.objects.filter(service_type__category__in=COMPLAINT_KINDS)


@pytest.mark.parametrize("complaints_first", [False, True], ids=["tickets first", "complaints first"])
def test_complaint_tickets_come_only_from_the_complaints_demo(org, complaints_first):
    if complaints_first:
        complaints = seed_demo_complaints(now=MON, count=12)
        tickets = seed_demo_tickets(now=MON, count=40)
    else:
        tickets = seed_demo_tickets(now=MON, count=40)
        complaints = seed_demo_complaints(now=MON, count=12)

    assert (tickets, complaints) == (40, 12)
    assert Complaint.objects.count() == 12
    assert complaint_kind_tickets().count() == 12
    assert not complaint_kind_tickets().filter(complaint__isnull=True).exists()
    assert Ticket.objects.exclude(service_type__category__in=COMPLAINT_KINDS).count() == 40
    # Run again (seed_demo twice): nothing new from either.
    assert (seed_demo_tickets(now=MON, count=40), seed_demo_complaints(now=MON, count=12)) == (0, 0)
