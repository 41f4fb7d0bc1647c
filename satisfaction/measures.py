"""The measures an improvement action watches, for one unit's subtree and a span of local dates.

Each returns a Decimal (two places) or None when there is nothing to measure.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from accounts.models import Customer
from tickets.models import Milestone, SlaState

from .models import Measure
from .selectors import local_midnight, satisfaction_figures

TWO = Decimal("0.01")


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return local_midnight(start), local_midnight(end + dt.timedelta(days=1))


def complaints_per_10k(*, unit, subject: str, start: dt.date, end: dt.date) -> Decimal | None:
    """Complaints of the category `subject` received in the span, per 10,000 active customers of the unit."""
    from complaints.selectors import complaint_count

    customers = Customer.objects.filter(
        outlet__path__startswith=unit.path, status=Customer.Status.ACTIVE
    ).count()
    if not customers:
        return None
    first, after = _bounds(start, end)
    count = complaint_count(unit_path=unit.path, category=subject, start=first, end=after)
    return (Decimal(count) * 10000 / customers).quantize(TWO, rounding=ROUND_HALF_UP)


def on_time_rate(*, unit, subject: str, start: dt.date, end: dt.date) -> Decimal | None:
    """Milestones of service type `subject` met in the span: met on time / all met x 100."""
    first, after = _bounds(start, end)
    row = Milestone.objects.filter(
        ticket__org_unit__path__startswith=unit.path,
        ticket__service_type__code=subject,
        met_at__gte=first,
        met_at__lt=after,
    ).aggregate(met=Count("id"), on_time=Count("id", filter=Q(state=SlaState.MET)))
    if not row["met"]:
        return None
    return (Decimal(row["on_time"]) * 100 / row["met"]).quantize(TWO, rounding=ROUND_HALF_UP)


def dimension_score(*, unit, subject: str, start: dt.date, end: dt.date) -> Decimal | None:
    """The dimension's score over the answers to the follow-ups of cases closed in the span."""
    return satisfaction_figures(scope=unit, start=start, end=end)[0]["scores"].get(subject)


MEASURES = {
    Measure.COMPLAINTS_PER_10K: complaints_per_10k,
    Measure.ON_TIME_RATE: on_time_rate,
    Measure.DIMENSION_SCORE: dimension_score,
}


def measure_value(*, measure: str, unit, subject: str, start: dt.date, end: dt.date) -> Decimal | None:
    return MEASURES[measure](unit=unit, subject=subject, start=start, end=end)
