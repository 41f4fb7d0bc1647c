"""The escalation ladder's times (tickets/ladder.py): one row per rule, named after the rule.

Pure code on the CN-OFFICE calendar (Mon-Fri 08:30-12:00 and 13:30-17:30; 2026 National Day
10-01..10-07 off, Saturday 10-10 a make-up working day), as in test_sla.
"""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets import ladder
from tickets.calendars import china_snapshot

SH = ZoneInfo("Asia/Shanghai")
CAL = china_snapshot(range(2020, 2027))
FAST = settings(max_examples=200, deadline=None, derandomize=True)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def policy(warn=80, level2=(1, "working_days"), level3=(3, "working_days")):
    return SimpleNamespace(
        warn_percent=warn,
        level2_after_amount=level2[0],
        level2_after_unit=level2[1],
        level3_after_amount=level3[0],
        level3_after_unit=level3[1],
    )


def milestone(started, due, unit="working_days", *, met=None, is_override=False):
    return SimpleNamespace(
        started_at=at(started) if started else None,
        due_at=at(due) if due else None,
        unit=unit,
        met_at=at(met) if met else None,
        is_override=is_override,
    )


def ticket(received="2026-11-23 10:00", hotline_due=None):
    return SimpleNamespace(received_at=at(received), hotline_due_at=at(hotline_due) if hotline_due else None)


DEFAULT = policy()
EMERGENCY = policy(level2=(15, "minutes"), level3=(60, "minutes"))


@pytest.mark.parametrize(
    "case, m, t, p, warn",
    [
        pytest.param(
            "1 working day from monday 10:00 -> warn tuesday 14:48 (80% of 13.5 working hours)",
            milestone("2026-11-23 10:00", "2026-11-24 17:30"),
            ticket(),
            DEFAULT,
            "2026-11-24 14:48",
            id="default share",
        ),
        pytest.param(
            "a 50% policy -> warn tuesday 09:15 (monday 6 h + 0.75 h)",
            milestone("2026-11-23 10:00", "2026-11-24 17:30"),
            ticket(),
            policy(warn=50),
            "2026-11-24 09:15",
            id="policy share",
        ),
        pytest.param(
            "no start of its own -> counted from the ticket's receipt",
            milestone(None, "2026-11-24 17:30"),
            ticket(received="2026-11-23 10:00"),
            DEFAULT,
            "2026-11-24 14:48",
            id="from receipt",
        ),
        pytest.param(
            "10 minutes from 10:00 (emergency dispatch) -> warn 10:08, wall-clock",
            milestone("2026-11-23 10:00", "2026-11-23 10:10", "minutes"),
            ticket(),
            EMERGENCY,
            "2026-11-23 10:08",
            id="calendar minutes",
        ),
        pytest.param(
            "12345 deadline thursday 17:30 -> warn wednesday 17:30",
            milestone("2026-11-23 10:00", "2026-11-26 17:30", is_override=True),
            ticket(hotline_due="2026-11-26 17:30"),
            DEFAULT,
            "2026-11-25 17:30",
            id="hotline a working day ahead",
        ),
        pytest.param(
            "12345 deadline monday 10:00 -> warn the friday before, 10:00",
            milestone("2026-11-23 10:00", "2026-11-30 10:00", is_override=True),
            ticket(hotline_due="2026-11-30 10:00"),
            DEFAULT,
            "2026-11-27 10:00",
            id="hotline over a weekend",
        ),
        pytest.param(
            "12345 deadline thursday 10-08 after National Day -> warn wednesday 09-30",
            milestone("2026-09-28 10:00", "2026-10-08 10:00"),
            ticket(received="2026-09-28 10:00", hotline_due="2026-10-08 10:00"),
            DEFAULT,
            "2026-09-30 10:00",
            id="hotline over a holiday",
        ),
        pytest.param(
            "12345 warning would fall before the clock started -> warned at the start",
            milestone("2026-11-24 09:00", "2026-11-24 10:00", is_override=True),
            ticket(received="2026-11-24 09:00", hotline_due="2026-11-24 10:00"),
            DEFAULT,
            "2026-11-24 09:00",
            id="never before the start",
        ),
        pytest.param(
            "due at or before its start (a late 12345 entry) -> warned at the due time",
            milestone("2026-11-24 18:00", "2026-11-24 17:30"),
            ticket(received="2026-11-24 18:00"),
            DEFAULT,
            "2026-11-24 17:30",
            id="due before start",
        ),
    ],
)
def test_warning_time(case, m, t, p, warn):
    assert ladder.compute_warn_at(m, t, p, CAL) == at(warn), case


@pytest.mark.parametrize(
    "case, m, p, times",
    [
        pytest.param(
            "default ladder: branch one working day after breach, centre three",
            milestone("2026-11-23 10:00", "2026-11-24 17:30"),
            DEFAULT,
            ("2026-11-24 14:48", "2026-11-24 17:30", "2026-11-25 17:30", "2026-11-27 17:30"),
            id="default",
        ),
        pytest.param(
            "started at close of business 09-29, due 09-30 17:30: warned 16:00 (6 of 7.5 h); "
            "National Day skipped, make-up saturday 10-10 counted",
            milestone("2026-09-29 17:30", "2026-09-30 17:30"),
            DEFAULT,
            ("2026-09-30 16:00", "2026-09-30 17:30", "2026-10-08 17:30", "2026-10-10 17:30"),
            id="over a holiday",
        ),
        pytest.param(
            "emergency ladder: branch 15 minutes after breach, centre 60, wall-clock",
            milestone("2026-11-23 10:00", "2026-11-23 10:10", "minutes"),
            EMERGENCY,
            ("2026-11-23 10:08", "2026-11-23 10:10", "2026-11-23 10:25", "2026-11-23 11:10"),
            id="emergency",
        ),
        pytest.param(
            "level 3 before level 2 when the policy says so (times are not reordered)",
            milestone("2026-11-23 10:00", "2026-11-24 17:30"),
            policy(level2=(1, "working_days"), level3=(60, "minutes")),
            ("2026-11-24 14:48", "2026-11-24 17:30", "2026-11-25 17:30", "2026-11-24 18:30"),
            id="disordered",
        ),
    ],
)
def test_step_times(case, m, p, times):
    assert ladder.step_times(m, ticket(), p, CAL) == dict(enumerate(at(t) for t in times)), case


@pytest.mark.parametrize(
    "case, p, ordered",
    [
        ("both intervals in working days, the second longer -> ordered", DEFAULT, True),
        ("both in minutes, equal -> ordered", policy(level2=(30, "minutes"), level3=(30, "minutes")), True),
        ("the second interval shorter -> not ordered", policy(level3=(0, "working_days")), False),
        ("mixed units -> not ordered", policy(level2=(1, "working_days"), level3=(60, "minutes")), False),
    ],
)
def test_is_ordered(case, p, ordered):
    assert ladder.is_ordered(p) is ordered, case


@pytest.mark.parametrize(
    "case, p, cursor, now, levels, next_level, next_at",
    [
        (
            "before the warning -> nothing due, the warning next",
            DEFAULT,
            0,
            "2026-11-24 14:47",
            [],
            0,
            "2026-11-24 14:48",
        ),
        (
            "warned, just after breach -> the breach, the branch next",
            DEFAULT,
            1,
            "2026-11-24 17:31",
            [1],
            2,
            "2026-11-25 17:30",
        ),
        (
            "nothing done for a week -> every level due, nothing left",
            DEFAULT,
            0,
            "2026-12-01 09:00",
            [0, 1, 2, 3],
            None,
            None,
        ),
        (
            "disordered (centre an hour after breach, branch a working day after) -> an hour "
            "after breach the breach and the centre are due, nothing is left",
            policy(level2=(1, "working_days"), level3=(60, "minutes")),
            1,
            "2026-11-24 18:31",
            [1, 3],
            None,
            None,
        ),
    ],
)
def test_due_steps(case, p, cursor, now, levels, next_level, next_at):
    m = milestone("2026-11-23 10:00", "2026-11-24 17:30")
    warn = ladder.compute_warn_at(m, ticket(), p, CAL)
    expected = (levels, next_level, at(next_at) if next_at else None)
    assert ladder.due_steps(m, p, CAL, warn, cursor, at(now), ticket=ticket()) == expected, case


RUNNING = milestone("2026-11-23 10:00", "2026-11-24 17:30")


@pytest.mark.parametrize(
    "case, m, now, state",
    [
        (
            "met before its deadline -> met",
            milestone("2026-11-23 10:00", "2026-11-24 17:30", met="2026-11-24 17:00"),
            "2026-11-25 09:00",
            "met",
        ),
        (
            "met after its deadline -> met late",
            milestone("2026-11-23 10:00", "2026-11-24 17:30", met="2026-11-24 18:00"),
            "2026-11-25 09:00",
            "met_late",
        ),
        (
            "no deadline yet (its clock has not started) -> pending",
            milestone(None, None),
            "2026-11-25 09:00",
            "pending",
        ),
        ("before the warning -> on time", RUNNING, "2026-11-24 14:47", "on_time"),
        ("at the warning -> at risk", RUNNING, "2026-11-24 14:48", "at_risk"),
        ("at the deadline -> breached", RUNNING, "2026-11-24 17:30", "breached"),
    ],
)
def test_state_at(case, m, now, state):
    assert ladder.state_at(m, at(now), at("2026-11-24 14:48")) == state, case


# ---------------------------------------------------------------- invariants

starts = st.builds(
    lambda d, minutes: dt.datetime.combine(d, dt.time(8, 0), tzinfo=SH) + dt.timedelta(minutes=minutes),
    st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2026, 10, 31)),
    st.integers(min_value=0, max_value=12 * 60),
)
intervals = st.tuples(
    st.integers(min_value=0, max_value=5),
    st.sampled_from(["minutes", "hours", "working_hours", "working_days"]),
)


@FAST
@given(
    start=starts,
    amount=st.integers(min_value=0, max_value=5),
    unit=st.sampled_from(["hours", "working_hours", "working_days"]),
    warn=st.integers(min_value=0, max_value=100),
    level2=intervals,
    level3=intervals,
    cursor=st.sampled_from(ladder.LEVELS),
    later=st.integers(min_value=-600, max_value=20 * 24 * 60),
)
def test_due_steps_agree_with_the_full_table_of_step_times(
    start, amount, unit, warn, level2, level3, cursor, later
):
    """The sweep computes later levels only when it needs them; its answer is the full table's."""
    from tickets import sla

    due = sla.add_duration(CAL, start, amount, unit).at
    m = SimpleNamespace(started_at=start, due_at=due, unit=unit, met_at=None, is_override=False)
    t = SimpleNamespace(received_at=start, hotline_due_at=None)
    p = policy(warn=warn, level2=level2, level3=level3)
    now = due + dt.timedelta(minutes=later)
    warn_at = ladder.compute_warn_at(m, t, p, CAL)
    times = ladder.step_times(m, t, p, CAL, warn_at)
    expected = [level for level in ladder.LEVELS if level >= cursor and times[level] <= now]
    nxt = expected[-1] + 1 if expected else cursor
    assert ladder.due_steps(m, p, CAL, warn_at, cursor, now, ticket=t) == (
        expected,
        nxt if nxt <= ladder.LAST_LEVEL else None,
        times[nxt] if nxt <= ladder.LAST_LEVEL else None,
    )
    assert start <= warn_at <= due or due <= start
    if ladder.is_ordered(p):
        assert [times[level] for level in ladder.LEVELS] == sorted(times.values())
