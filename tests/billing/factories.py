"""Meters, readings and bills for the billing tests, built through the billing services."""

import datetime as dt
import itertools
from decimal import Decimal

from billing import services
from billing.models import Household, Meter, MeterReading, MeterType, ReadingSource

_serials = itertools.count(1)


def meter(customer, *, fitted_on=dt.date(2020, 1, 1), meter_type=MeterType.DIAPHRAGM, **kwargs):
    n = next(_serials)
    return Meter.objects.create(
        serial=f"M{n:08d}", customer=customer, meter_type=meter_type, fitted_on=fitted_on, **kwargs
    )


def reading(meter, day, value, source=ReadingSource.ACTUAL):
    return MeterReading.objects.create(
        meter=meter,
        read_on=day,
        value_m3=Decimal(str(value)),
        source=source,
        external_id=f"R-{meter.serial}-{day.isoformat()}",
    )


def bills_from(meter, readings, *, due_days=20):
    """Consecutive bills between the given (day, value[, source]) readings, priced by the engine."""
    rows = [reading(meter, *r) for r in readings]
    return [
        services.create_bill(
            opening=a,
            closing=b,
            due_on=b.read_on + dt.timedelta(days=due_days),
            external_id=f"B-{meter.serial}-{a.read_on.isoformat()}",
        )
        for a, b in itertools.pairwise(rows)
    ], rows


def household(customer, persons, recorded_on):
    return Household.objects.create(customer=customer, persons=persons, recorded_on=recorded_on)


# The worked example of tariffs.md: 850 m3 billed earlier in 2026, then the disputed estimate.
WORKED_READINGS = [
    (dt.date(2026, 1, 1), 1000),
    (dt.date(2026, 9, 1), 1850),
    (dt.date(2026, 11, 1), 2050),
    (dt.date(2027, 1, 1), 2600, ReadingSource.ESTIMATED),
    (dt.date(2027, 3, 1), 2650),
]
