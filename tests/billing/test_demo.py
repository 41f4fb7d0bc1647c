"""The demo billing data: meters, 24 months of readings and bills, a dispute waiting for approval; once."""

import datetime as dt

from django.utils import timezone

from billing.demo import seed_demo_billing
from billing.models import Adjustment, Bill, Dispute, Meter, MeterReading
from notifications.models import Notification

NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=timezone.get_current_timezone())


def test_the_demo_seeds_billing_once_with_a_dispute_waiting_for_the_supervisor(org):
    assert seed_demo_billing(now=NOW) == 3
    assert Meter.objects.count() == 3
    assert MeterReading.objects.filter(corrects__isnull=True, meter__customer=org.customer).count() >= 13
    assert Bill.objects.filter(customer=org.customer).count() == 12
    assert all(b.lines.exists() for b in Bill.objects.all())
    dispute = Dispute.objects.get(customer=org.customer)
    adjustment = Adjustment.objects.get()
    assert adjustment.dispute == dispute and adjustment.status == "proposed" and adjustment.amount < -50
    assert not Notification.objects.filter(channel__in=["sms", "email"]).exists()
    assert seed_demo_billing(now=NOW) == 0
    assert Meter.objects.count() == 3 and Dispute.objects.count() == 1
