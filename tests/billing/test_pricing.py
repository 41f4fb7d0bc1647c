"""The tariff engine (billing.pricing): the worked example of tariffs.md, rule tables, properties."""

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.pricing import (
    Allowance,
    CycleUsage,
    Plan,
    PriceVersion,
    corrected_reading,
    late_fee,
    periods_from_readings,
    price_bill,
    price_series,
    round_fen,
)

RES_GEN_PRICES = {
    "normal": (D("2.039"), D("2.209"), D("2.559")),
    "heating": (D("2.13"), D("2.30"), D("2.65")),
}
RES_GEN = Plan(
    "RES-GEN", (D(600), D(1000)), (PriceVersion(dt.date(2022, 1, 1), RES_GEN_PRICES),), frozenset({12, 1, 2})
)
FLAT = Plan("NONRES", (), (PriceVersion(dt.date(2022, 1, 1), {"all": (D("2.576"),)}),), has_cycle=False)

d = dt.date


def lines_of(bill):
    return [(line.start, line.tier, line.volume, line.price, line.amount) for line in bill.lines]


def test_worked_example_of_tariffs_md_comes_out_at_minus_152_68():
    readings = [
        (d(2026, 9, 1), D(1850)),
        (d(2026, 11, 1), D(2050)),
        (d(2027, 1, 1), D(2600)),
        (d(2027, 3, 1), D(2650)),
    ]
    old = price_series(RES_GEN, periods_from_readings(readings), CycleUsage({2026: D(850)}))
    assert [b.amount for b in old] == [D("459.30"), D("1432.89"), D("106.50")]
    assert lines_of(old[1]) == [
        (d(2026, 11, 1), 3, D("270.492"), D("2.559"), D("692.19")),
        (d(2026, 12, 1), 3, D("279.508"), D("2.65"), D("740.70")),
    ]
    corrected = corrected_reading(
        disputed_on=d(2027, 1, 1),
        last_actual_on=d(2026, 11, 1),
        last_actual=D(2050),
        reread_on=d(2027, 1, 12),
        reread=D(2320),
    )
    assert corrected == D("2278.750")
    readings[2] = (d(2027, 1, 1), corrected)
    new = price_series(RES_GEN, periods_from_readings(readings), CycleUsage({2026: D(850)}))
    assert [b.amount for b in new] == [D("459.30"), D("595.95"), D("790.76")]
    assert lines_of(new[1]) == [
        (d(2026, 11, 1), 3, D("112.500"), D("2.559"), D("287.89")),
        (d(2026, 12, 1), 3, D("116.250"), D("2.65"), D("308.06")),
    ]
    assert lines_of(new[2]) == [(d(2027, 1, 1), 1, D("371.250"), D("2.13"), D("790.76"))]
    assert sum(b.amount for b in new) - sum(b.amount for b in old) == D("-152.68")


PRICE_CHANGE = Plan(
    "RES-GEN",
    (D(600), D(1000)),
    (
        PriceVersion(d(2022, 1, 1), RES_GEN_PRICES),
        PriceVersion(
            d(2026, 6, 16),
            {"normal": (D("2.10"), D("2.30"), D("2.70")), "heating": RES_GEN_PRICES["heating"]},
        ),
    ),
    frozenset({12, 1, 2}),
)
BIG_HOUSEHOLD = Plan(
    "RES-GEN",
    (D(600), D(1000)),
    RES_GEN.price_versions,
    frozenset({12, 1, 2}),
    allowances=(Allowance(d(2026, 5, 1), D(150)),),
)

# (rule, plan, start, end, volume, used before in the cycle, expected lines (start, tier, volume, amount))
TABLE = [
    (
        "season boundary: 1 March splits heating from normal prices",
        RES_GEN,
        d(2026, 2, 1),
        d(2026, 4, 1),
        "59",
        "0",
        [(d(2026, 2, 1), 1, "28.000", "59.64"), (d(2026, 3, 1), 1, "31.000", "63.21")],
    ),
    (
        "price change inside a bill: days before it at the old price",
        PRICE_CHANGE,
        d(2026, 6, 1),
        d(2026, 7, 1),
        "30",
        "0",
        [(d(2026, 6, 1), 1, "15.000", "30.59"), (d(2026, 6, 16), 1, "15.000", "31.50")],
    ),
    (
        "cycle boundary: 1 January restarts the tiers",
        RES_GEN,
        d(2026, 12, 1),
        d(2027, 2, 1),
        "62",
        "990",
        [
            (d(2026, 12, 1), 2, "10.000", "23.00"),
            (d(2026, 12, 1), 3, "21.000", "55.65"),
            (d(2027, 1, 1), 1, "31.000", "66.03"),
        ],
    ),
    (
        "household allowance: 5 persons add 150 to every bound, from the day recorded",
        BIG_HOUSEHOLD,
        d(2026, 5, 1),
        d(2026, 7, 1),
        "100",
        "600",
        [(d(2026, 5, 1), 1, "100.000", "203.90")],
    ),
    (
        "household allowance never applies backwards",
        BIG_HOUSEHOLD,
        d(2026, 3, 1),
        d(2026, 4, 1),
        "100",
        "600",
        [(d(2026, 3, 1), 2, "100.000", "220.90")],
    ),
    (
        "tier crossing inside a segment is split at the bound",
        RES_GEN,
        d(2026, 4, 1),
        d(2026, 5, 1),
        "100",
        "550",
        [(d(2026, 4, 1), 1, "50.000", "101.95"), (d(2026, 4, 1), 2, "50.000", "110.45")],
    ),
    (
        "rounding half up to the fen: 0.5 x 2.13 = 1.065 -> 1.07 (never half even)",
        RES_GEN,
        d(2026, 1, 1),
        d(2026, 2, 1),
        "0.5",
        "0",
        [(d(2026, 1, 1), 1, "0.500", "1.07")],
    ),
    (
        "flat non-residential price: no tiers, no seasons",
        FLAT,
        d(2026, 11, 1),
        d(2027, 1, 1),
        "1000",
        "0",
        [(d(2026, 11, 1), 1, "1000.000", "2576.00")],
    ),
]


@pytest.mark.parametrize(
    ("rule", "plan", "start", "end", "volume", "used", "expected"), TABLE, ids=[row[0] for row in TABLE]
)
def test_pricing_rules(rule, plan, start, end, volume, used, expected):
    usage = CycleUsage({start.year: D(used)}) if plan.has_cycle else CycleUsage()
    bill = price_bill(plan, start, end, D(volume), usage)
    assert [(line.start, line.tier, line.volume, line.amount) for line in bill.lines] == [
        (s, t, D(v), D(a)) for s, t, v, a in expected
    ]


def test_segment_shares_are_rounded_half_up_and_the_last_takes_the_remainder():
    bill = price_bill(RES_GEN, d(2026, 11, 1), d(2027, 1, 1), D(550), CycleUsage({2026: D(1050)}))
    assert [line.volume for line in bill.lines] == [D("270.492"), D("279.508")]


@pytest.mark.parametrize(
    ("reread_on", "expected"),
    [
        (d(2027, 1, 4), D("2320.000")),  # within 3 days: the re-read itself
        (d(2027, 1, 12), D("2278.750")),  # else the straight line from the last actual reading
    ],
)
def test_corrected_reading(reread_on, expected):
    assert (
        corrected_reading(
            disputed_on=d(2027, 1, 1),
            last_actual_on=d(2026, 11, 1),
            last_actual=D(2050),
            reread_on=reread_on,
            reread=D(2320),
        )
        == expected
    )


@pytest.mark.parametrize(
    ("on", "held", "expected"),
    [
        (d(2026, 3, 8), 0, D("0")),  # 7 days of grace
        (d(2026, 3, 9), 0, D("0.10")),  # from the 8th day: 100 x 0.1%
        (d(2026, 3, 18), 0, D("1.00")),
        (d(2026, 3, 18), 10, D("0")),  # days under an open dispute count no fee
        (d(2030, 1, 1), 0, D("100.00")),  # never more than the unpaid amount
    ],
)
def test_late_fee(on, held, expected):
    assert (
        late_fee(unpaid=D(100), due_on=d(2026, 3, 1), on=on, rate_per_day=D("0.001"), held_days=held)
        == expected
    )


# ---------------------------------------------------------------- properties

days = st.integers(min_value=1, max_value=400)
volumes = st.decimals(min_value=0, max_value=5000, places=3, allow_nan=False, allow_infinity=False)
starts = st.dates(min_value=d(2023, 1, 1), max_value=d(2027, 12, 31))
used = st.decimals(min_value=0, max_value=1500, places=3, allow_nan=False, allow_infinity=False)
plans = st.sampled_from([RES_GEN, PRICE_CHANGE, BIG_HOUSEHOLD, FLAT])


@settings(max_examples=200, deadline=None)
@given(plan=plans, start=starts, length=days, volume=volumes, before=used)
def test_lines_add_up_to_the_bills_volume_and_amount(plan, start, length, volume, before):
    bill = price_bill(
        plan, start, start + dt.timedelta(days=length), volume, CycleUsage({start.year: before})
    )
    assert sum(line.volume for line in bill.lines) == volume
    assert sum(line.amount for line in bill.lines) == bill.amount
    assert all(line.amount == round_fen(line.volume * line.price) for line in bill.lines)


@settings(max_examples=100, deadline=None)
@given(
    plan=plans,
    start=starts,
    lengths=st.lists(days, min_size=1, max_size=6),
    steps=st.lists(volumes, min_size=6, max_size=6),
    before=used,
)
def test_repricing_with_the_original_readings_changes_nothing(plan, start, lengths, steps, before):
    day, value, readings = start, D(1000), [(start, D(1000))]
    for length, step in zip(lengths, steps, strict=False):
        day, value = day + dt.timedelta(days=length), value + step
        readings.append((day, value))
    first = price_series(plan, periods_from_readings(readings), CycleUsage({start.year: before}))
    again = price_series(plan, periods_from_readings(list(readings)), CycleUsage({start.year: before}))
    assert [b.lines for b in first] == [b.lines for b in again]


@settings(max_examples=200, deadline=None)
@given(
    plan=plans,
    start=starts,
    length=st.integers(min_value=2, max_value=400),
    volume=volumes,
    before=used,
    data=st.data(),
)
def test_splitting_a_bill_changes_the_total_by_at_most_the_rounding_of_its_lines(
    plan, start, length, volume, before, data
):
    end = start + dt.timedelta(days=length)
    cut = start + dt.timedelta(days=data.draw(st.integers(min_value=1, max_value=length - 1)))
    whole = price_bill(plan, start, end, volume, CycleUsage({start.year: before}))
    first_volume = (volume * (cut - start).days / length).quantize(D("0.001"))
    usage = CycleUsage({start.year: before})
    parts = [
        price_bill(plan, start, cut, first_volume, usage),
        price_bill(plan, cut, end, volume - first_volume, usage),
    ]
    lines = len(whole.lines) + sum(len(p.lines) for p in parts)
    # Each line rounds by at most half a fen; a segment share moves by at most 0.001 m3 at a price < 3.
    segments = len({(line.start, line.end) for line in whole.lines}) + 2
    tolerance = D("0.005") * lines + D("0.003") * segments
    assert abs(sum(p.amount for p in parts) - whole.amount) <= tolerance
