"""Reads behind the dashboards, the API and the exports; every other app is read through its selectors.

Definitions (stated on the page too): a milestone belongs to the period in which its deadline falls
(pauses have already moved the deadline); counted = met + deadline passed; pending = not met and not
yet due (shown, not counted); on-time rate = met at or before the deadline / counted. The outcome
rules themselves live in tickets.selectors (outcome_q), which the queue's drill-down uses too.
Past days come from the daily rollups when they are fresh, today and later days live.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrgUnit
from accounts.roles import sees_own_figures_only
from accounts.visibility import ALL, org_scope
from tickets import selectors as ticket_selectors
from tickets.calendars import get_snapshot
from tickets.models import Channel, MilestoneStandard, Priority, ServiceType, WorkCalendar

from .figures import OUTCOME_FIELDS, STEP_COLUMNS, STEP_FIELDS, Tally, met_steps
from .models import DailyRollup, Dimension, DimensionRollup, RolledDay, RolledWeek, WeeklyRollup

GROUP_BY = ("branch", "outlet", "service_type", "milestone", "channel", "priority", "handler")
ROLLUP_GROUPS = frozenset({"branch", "outlet", "service_type", "milestone"})
MAX_RANGE_DAYS = 3 * 366
# What each grouping reads from a milestone row (branch and outlet both start from the case's unit).
KEY_FIELDS = {
    "branch": "ticket__org_unit",
    "outlet": "ticket__org_unit",
    "service_type": "ticket__service_type",
    "milestone": "code",
    "channel": "ticket__channel",
    "priority": "ticket__priority",
    "handler": "ticket__assignee__username",
    "unit": "unit",
}


# ---------------------------------------------------------------- scope and bad input


def check_range(start: dt.date, end: dt.date) -> None:
    """A period is at most 3 years and does not end before it starts (field errors otherwise)."""
    if end < start:
        raise ValidationError({"to": _("The end of the period is before its start.")})
    if (end - start).days > MAX_RANGE_DAYS:
        raise ValidationError({"to": _("A period may be at most 3 years long.")})


def check_group_by(group_by) -> tuple[str, ...]:
    keys = tuple(group_by or ())
    unknown = [k for k in keys if k not in GROUP_BY]
    if unknown:
        raise ValidationError(
            {"group_by": _("Choose one of %(choices)s.") % {"choices": ", ".join(GROUP_BY)}}
        )
    return keys


def visible_unit(user, code: str | None) -> OrgUnit | None:
    """The org unit a viewer asked for (404 when unknown or outside their scope), else None = their scope."""
    if not code:
        return None
    unit = OrgUnit.objects.visible_to(user).filter(code=code).first()
    if unit is None:
        raise Http404(_("No organisation unit %(code)s in your scope.") % {"code": code})
    return unit


def home_unit(user) -> OrgUnit | None:
    """The unit whose figures a viewer sees first: their own (the root for those who see all)."""
    profile = getattr(user, "staff_profile", None)
    if org_scope(user) is ALL:
        return OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()
    return profile.org_unit if profile else None


def own_handler(user) -> str | None:
    """Front desk, agents and technicians see their own figures only: the cases they handle."""
    return user.get_username() if sees_own_figures_only(user) else None


def default_comparison(user, unit: OrgUnit | None) -> str:
    """The group centre compares branches, a branch manager outlets, an outlet its handlers."""
    if own_handler(user):
        return "service_type"
    kind = unit.kind if unit else None
    if kind == OrgUnit.Kind.BRANCH:
        return "outlet"
    if kind in (OrgUnit.Kind.OUTLET, OrgUnit.Kind.CALL_CENTRE):
        return "handler"
    if unit is None and org_scope(user) is not ALL:
        return "outlet"
    return "branch"


# ---------------------------------------------------------------- labels


class Labels:
    """Names (not codes) for each grouping's keys, loaded once per request; and the request's reads of
    each period's figures, so that the tables of one page fold the same figures instead of reading them
    again."""

    def __init__(self):
        self.units = {u.pk: u for u in OrgUnit.objects.all()}
        self.units_by_code = {u.code: u for u in self.units.values()}
        self.types = {t.pk: t for t in ServiceType.objects.all()}
        self._milestones = None
        self._fresh_days = None
        self._rolled_weeks = None
        self.period_reads = {}
        self.raw_days = {}

    def fresh_days(self) -> set[dt.date]:
        """The days whose rollup rows are complete (a few hundred rows a year: read at once)."""
        if self._fresh_days is None:
            self._fresh_days = set(RolledDay.objects.filter(is_stale=False).values_list("day", flat=True))
        return self._fresh_days

    def rolled_weeks(self) -> set[dt.date]:
        """The Mondays of the weeks summed into weekly rows."""
        if self._rolled_weeks is None:
            self._rolled_weeks = set(RolledWeek.objects.values_list("week", flat=True))
        return self._rolled_weeks

    def calendars(self):
        if not hasattr(self, "_calendars"):
            self._calendars = {c.pk: get_snapshot(c) for c in WorkCalendar.objects.all()}
        return self._calendars

    def branch_of(self, unit_id):
        unit = self.units.get(unit_id)
        if unit is None:
            return None
        for code in unit.path.strip("/").split("/"):
            candidate = self.units_by_code.get(code)
            if candidate is not None and candidate.kind == OrgUnit.Kind.BRANCH:
                return candidate.pk
        return unit.pk

    def milestone_name(self, code):
        if self._milestones is None:
            from tickets.templatetags.tickets_ui import local_name

            self._milestones = {}
            for standard in MilestoneStandard.objects.select_related("service_type").order_by(
                "sort_order", "pk"
            ):
                self._milestones.setdefault(standard.code, local_name(standard))
        return self._milestones.get(code, code)

    def label(self, key: str, value) -> tuple[str, str]:
        """(code for links and the API, name for people)."""
        from tickets.templatetags.tickets_ui import local_name

        if value is None:
            return "-", _("Unassigned") if key == "handler" else "—"
        if key in ("branch", "outlet"):
            unit = self.units.get(value)
            return (unit.code, unit.name) if unit else (str(value), str(value))
        if key == "service_type":
            st = self.types.get(value)
            return (st.code, local_name(st)) if st else (str(value), str(value))
        if key == "milestone":
            return value, self.milestone_name(value)
        if key == "channel":
            return value, str(Channel(value).label) if value in Channel.values else value
        if key == "priority":
            return value, str(Priority(value).label) if value in Priority.values else value
        return value, self.handler_names().get(value, value)

    def handler_names(self):
        if not hasattr(self, "_handlers"):
            from django.contrib.auth import get_user_model

            self._handlers = {
                u.username: (u.get_full_name() or u.username)
                for u in get_user_model().objects.filter(staff_profile__isnull=False)
            }
        return self._handlers

    def fold(self, key: str, value):
        """A raw key value as grouped: an outlet's branch for `branch`."""
        return self.branch_of(value) if key == "branch" else value


# ---------------------------------------------------------------- the SLA table


@dataclass
class Row:
    key: tuple  # the (folded) key values, in group_by order
    codes: tuple  # codes for links and the API
    names: tuple  # names for people
    tally: Tally


def _day_ranges(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    ranges = []
    for day in sorted(days):
        if ranges and ranges[-1][1] + dt.timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def _week_ranges(mondays: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive weeks as (first Monday, last Monday) ranges."""
    ranges = []
    for monday in sorted(mondays):
        if ranges and ranges[-1][1] + dt.timedelta(weeks=1) == monday:
            ranges[-1] = (ranges[-1][0], monday)
        else:
            ranges.append((monday, monday))
    return ranges


def add_raw(tallies, labels, keys, milestones, now, *, with_durations=True) -> None:
    """Fold the milestones into `tallies` by `keys` (counts grouped in SQL; durations read per met one)."""
    add_raw_groupings({tuple(keys): tallies}, labels, milestones, now, with_durations=with_durations)


def add_raw_groupings(groupings: dict, labels, milestones, now, *, with_durations=True) -> None:
    """Fold the milestones into several groupings at once ({keys: tallies}): one counting query per
    grouping, and one pass over the met milestones, each one's durations worked out once for all."""
    annotations = {
        name: Count("id", filter=ticket_selectors.outcome_q(name, now=now)) for name in OUTCOME_FIELDS
    }
    for keys, tallies in groupings.items():
        fields = list(dict.fromkeys(KEY_FIELDS[k] for k in keys))
        grouped = (
            milestones.values(*fields).annotate(**annotations).order_by()
            if fields
            else [milestones.aggregate(**annotations)]
        )
        for row in grouped:
            if any(row[name] for name in OUTCOME_FIELDS):
                tallies[tuple(labels.fold(k, row[KEY_FIELDS[k]]) for k in keys)].add_counts(**row)
    if not with_durations:
        return
    calendars = labels.calendars()
    fields = list(dict.fromkeys(KEY_FIELDS[k] for keys in groupings for k in keys))
    positions = {name: i for i, name in enumerate(fields)}
    met = (
        milestones.filter(met_at__isnull=False)
        .values_list(*fields, "unit", "amount", "due_at", "met_at", "ticket__service_type__calendar_id")
        .order_by()
    )
    for values in met.iterator(chunk_size=5000):
        unit, amount, due_at, met_at, calendar_id = values[len(fields) :]
        steps = met_steps(unit=unit, amount=amount, due_at=due_at, met_at=met_at, cal=calendars[calendar_id])
        for keys, tallies in groupings.items():
            key = tuple(labels.fold(k, values[positions[KEY_FIELDS[k]]]) for k in keys)
            tallies[key].add_steps(unit, *steps)


GROUP_FIELDS = ("org_unit", "service_type", "milestone")
# The finest grouping of a period's figures: every table of a page folds these.
FINE_KEYS = ("outlet", "service_type", "milestone", "unit")


def _in_scope(rows, user, unit):
    """Rollup rows of the viewer's scope (or `unit`'s subtree)."""
    rows = rows.filter(org_unit__in=OrgUnit.objects.visible_to(user))
    if unit is not None:
        rows = rows.filter(org_unit__path__startswith=unit.path)
    return rows


def _in_ranges(rows, field, ranges):
    span = Q()
    for first, last in ranges:
        span |= Q(**{f"{field}__gte": first, f"{field}__lte": last})
    return rows.filter(span)


def _sum_rows(querysets, keys, *, with_durations) -> list[tuple]:
    """Rollup rows of one or more querysets (tables alike), added up per `keys` in one query:
    [(*key values, counts, taken, late)], counts in OUTCOME_FIELDS order, histograms {step: n}."""
    names = (*OUTCOME_FIELDS, *(STEP_FIELDS if with_durations else ()))
    parts, params = [], []
    for rows in querysets:
        sql, part_params = rows.values_list(*keys, *names).order_by().query.sql_with_params()
        parts.append(sql)
        params.extend(part_params)
    if not parts:
        return []
    quote = connection.ops.quote_name
    grouped = ", ".join(quote(c) for c in keys)
    sums = ", ".join(f"SUM({quote(name)})" for name in names)
    union = " UNION ALL ".join(f"SELECT * FROM ({sql}) AS part{i}" for i, sql in enumerate(parts))
    # Raw SQL for the sum over the tables, read as plain tuples: Django's converter for each of the
    # ~60 values of thousands of rows cost more than the query itself.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {grouped}, {sums} FROM ({union}) AS rolled GROUP BY {grouped}", params)
        found = cursor.fetchall()
    steps, width = len(STEP_COLUMNS), len(keys)
    out = []
    for row in found:
        values = row[width:]
        counts = [int(v) for v in values[:4]]
        taken = {i: int(n) for i, n in enumerate(values[4 : 4 + steps]) if n}
        late = {i: int(n) for i, n in enumerate(values[4 + steps :]) if n}
        out.append((*row[:width], counts, taken, late))
    return out


def _rolled_rows(user, unit, week_ranges, day_ranges) -> list[tuple]:
    """(date field, queryset) of the weekly rows of the weeks (by their Mondays) and of the daily rows
    of the days in the ranges, in the viewer's scope."""
    return [
        (field, _in_scope(_in_ranges(model.objects.all(), field, ranges), user, unit))
        for model, field, ranges in ((WeeklyRollup, "week", week_ranges), (DailyRollup, "day", day_ranges))
        if ranges
    ]


def _rollup_sums(user, unit, week_ranges, day_ranges, *, with_durations) -> list[tuple]:
    """The weekly and daily rollup rows of the ranges added up per unit, service type, milestone and
    time unit in one query: [(org unit, service type, milestone, time unit, counts, taken, late)]."""
    querysets = [rows for _field, rows in _rolled_rows(user, unit, week_ranges, day_ranges)]
    return _sum_rows(querysets, (*GROUP_FIELDS, "unit"), with_durations=with_durations)


def _rolled_spans(labels, start, end, now):
    """The fresh days of start..end before today, as ranges of whole rolled weeks and of single days;
    and the set of those days."""
    yesterday = timezone.localdate(now) - dt.timedelta(days=1)
    rolled = {d for d in labels.fresh_days() if start <= d <= min(end, yesterday)}
    weeks = [
        w for w in sorted(labels.rolled_weeks()) if all(w + dt.timedelta(days=i) in rolled for i in range(7))
    ]
    in_weeks = {w + dt.timedelta(days=i) for w in weeks for i in range(7)}
    return _week_ranges(weeks), _day_ranges(list(rolled - in_weeks)), rolled


def _fine_tallies(user, unit, start, end, now, labels, with_durations) -> dict:
    """The period's figures per (org unit, service type, milestone, time unit): the fresh rollups of its
    past days (one query over whole weeks and single days) and the milestones of the other days. Read once
    per page and period; every table of the page folds them."""
    read = (user.pk, unit.pk if unit else None, start, end)
    cached = labels.period_reads.get(read)
    if cached is not None and (cached[0] or not with_durations):
        return cached[1]
    fine = defaultdict(Tally)
    week_ranges, day_ranges, rolled = _rolled_spans(labels, start, end, now)
    for org_unit, service_type, code, time_unit, counts, taken, late in _rollup_sums(
        user, unit, week_ranges, day_ranges, with_durations=with_durations
    ):
        if any(counts):
            fine[(org_unit, service_type, code, time_unit)] = Tally.from_columns(
                counts, time_unit, taken, late
            )
    raw_days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    raw_days = [d for d in raw_days if d not in rolled]
    if with_durations:
        for first, last in _day_ranges(raw_days):
            milestones = ticket_selectors.period_milestones(
                user, due_from=first, due_to=last, now=now, org_unit=unit
            )
            add_raw(fine, labels, FINE_KEYS, milestones, now, with_durations=True)
    else:
        for parts in _raw_by_day(user, unit, raw_days, now, labels).values():
            for key, part in parts.items():
                fine[key].add(part, durations=False)
    labels.period_reads[read] = (with_durations, fine)
    return fine


def _dimension_tallies(user, unit, dimension, start, end, now, labels, with_durations) -> dict:
    """The period's figures per (org unit, channel / priority / handler, time unit): the fresh days'
    DimensionRollup rows in one query, the other days from the milestones. Read once per page."""
    read = (user.pk, unit.pk if unit else None, start, end, dimension)
    cached = labels.period_reads.get(read)
    if cached is not None and (cached[0] or not with_durations):
        return cached[1]
    fine = defaultdict(Tally)
    _weeks, _days, rolled = _rolled_spans(labels, start, end, now)
    if rolled:
        rows = DimensionRollup.objects.filter(dimension=dimension)
        rows = _in_scope(_in_ranges(rows, "day", _day_ranges(list(rolled))), user, unit)
        for org_unit, value, time_unit, counts, taken, late in _sum_rows(
            [rows], ("org_unit", "value", "unit"), with_durations=with_durations
        ):
            if any(counts):
                fine[(org_unit, value or None, time_unit)] = Tally.from_columns(
                    counts, time_unit, taken, late
                )
    every_day = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    for first, last in _day_ranges([d for d in every_day if d not in rolled]):
        milestones = ticket_selectors.period_milestones(
            user, due_from=first, due_to=last, now=now, org_unit=unit
        )
        add_raw(fine, labels, ("outlet", dimension, "unit"), milestones, now, with_durations=with_durations)
    labels.period_reads[read] = (with_durations, fine)
    return fine


def _raw_by_day(user, unit, days, now, labels, handler=None) -> dict:
    """Outcome counts from the milestones of `days` (not rolled up), per local day and finest grouping:
    {day: {(org unit, service type, milestone, time unit): Tally}}. One query per run of days not read
    yet; a page's tables and its trend share the days they both show (today, most often)."""
    scope = (user.pk, unit.pk if unit else None, handler)
    missing = [d for d in days if (*scope, d) not in labels.raw_days]
    annotations = {
        name: Count("id", filter=ticket_selectors.outcome_q(name, now=now)) for name in OUTCOME_FIELDS
    }
    fields = [KEY_FIELDS[k] for k in FINE_KEYS]
    for first, last in _day_ranges(missing):
        for day in (first + dt.timedelta(days=i) for i in range((last - first).days + 1)):
            labels.raw_days[(*scope, day)] = {}
        milestones = ticket_selectors.period_milestones(
            user, due_from=first, due_to=last, now=now, org_unit=unit, handler=handler
        )
        local_day = TruncDate("due_at", tzinfo=timezone.get_current_timezone())
        rows = milestones.annotate(due_day=local_day).values("due_day", *fields).annotate(**annotations)
        for row in rows.order_by():
            counts = [row[name] for name in OUTCOME_FIELDS]
            if any(counts):
                key = tuple(row[field] for field in fields)
                labels.raw_days[(*scope, row["due_day"])][key] = Tally(*counts)
    return {d: labels.raw_days[(*scope, d)] for d in days}


def sla_rows(
    user,
    *,
    start: dt.date,
    end: dt.date,
    now,
    group_by=(),
    unit: OrgUnit | None = None,
    service_type=None,
    milestone=None,
    use_rollups=True,
    labels=None,
    with_durations=False,
) -> list[Row]:
    """The SLA figures of the period for the viewer's scope (or `unit`'s subtree), one row per group.

    Days before today with a fresh rollup are read from it (DailyRollup and WeeklyRollup; by channel,
    priority or handler DimensionRollup); the other days from the milestones.
    The durations (time taken, lateness) are read only when asked: counts alone are cheaper.
    """
    keys = check_group_by(group_by)
    check_range(start, end)
    labels = labels or Labels()
    handler = own_handler(user)
    tallies = defaultdict(Tally)
    dimensions = set(keys) & set(Dimension.values)
    if (
        use_rollups
        and handler is None
        and len(dimensions) == 1
        and set(keys) - dimensions <= {"branch", "outlet"}
        and not (service_type or milestone)
    ):
        [dimension] = dimensions
        fine = _dimension_tallies(user, unit, dimension, start, end, now, labels, with_durations)
        for (org_unit, value, _time_unit), part in fine.items():
            values = {"branch": org_unit, "outlet": org_unit, dimension: value}
            tallies[tuple(labels.fold(k, values[k]) for k in keys)].add(part, durations=with_durations)
    elif use_rollups and handler is None and set(keys) <= ROLLUP_GROUPS:
        fine = _fine_tallies(user, unit, start, end, now, labels, with_durations)
        types = {pk for pk, t in labels.types.items() if t.code == service_type} if service_type else None
        position = {"branch": 0, "outlet": 0, "service_type": 1, "milestone": 2}
        for fine_key, part in fine.items():
            if (types is not None and fine_key[1] not in types) or (milestone and fine_key[2] != milestone):
                continue
            tallies[tuple(labels.fold(k, fine_key[position[k]]) for k in keys)].add(
                part, durations=with_durations
            )
    else:
        milestones = ticket_selectors.period_milestones(
            user,
            due_from=start,
            due_to=end,
            now=now,
            org_unit=unit,
            service_type=service_type,
            milestone=milestone,
            handler=handler,
        )
        add_raw(tallies, labels, keys, milestones, now, with_durations=with_durations)
    rows = []
    for key, tally in tallies.items():
        pairs = [labels.label(k, v) for k, v in zip(keys, key, strict=True)]
        rows.append(
            Row(key=key, codes=tuple(p[0] for p in pairs), names=tuple(p[1] for p in pairs), tally=tally)
        )
    rows.sort(key=lambda r: tuple(str(n) for n in r.names))
    return rows


def total(rows: list[Row]) -> Tally:
    whole = Tally()
    for row in rows:
        whole.merge(row.tally)
    return whole


def drill_params(*, start, end, unit, group_by, codes, user) -> dict:
    """The queue's filters for a row (outcome added per figure): the same definitions, the same count."""
    params = {"scope": "all", "due_from": start.isoformat(), "due_to": end.isoformat()}
    if unit is not None:
        params["org_unit"] = unit.code
    handler = own_handler(user)
    if handler:
        params["handler"] = handler
    names = {
        "branch": "org_unit",
        "outlet": "org_unit",
        "service_type": "service_type",
        "milestone": "milestone",
        "channel": "channel",
        "priority": "priority",
        "handler": "handler",
    }
    for key, code in zip(group_by, codes, strict=True):
        params[names[key]] = code
    return params


# ---------------------------------------------------------------- periods


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def period_bounds(kind: str, *, today: dt.date, start=None, end=None) -> tuple[dt.date, dt.date]:
    """This week (Monday to Sunday), this month, or a chosen range."""
    if kind == "week":
        first = week_start(today)
        return first, first + dt.timedelta(days=6)
    if kind == "month":
        first = today.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return first, following - dt.timedelta(days=1)
    if start is None or end is None:
        raise ValidationError({"from": _("Give the first and the last day of the range.")})
    check_range(start, end)
    return start, end


def previous_period(start: dt.date, end: dt.date, kind: str) -> tuple[dt.date, dt.date]:
    """The period before: last week, last month, or the same number of days before a range."""
    if kind == "month":
        last = start - dt.timedelta(days=1)
        return last.replace(day=1), last
    length = (end - start).days + 1
    return start - dt.timedelta(days=length), start - dt.timedelta(days=1)


def weekly_trend(user, *, now, weeks=12, unit=None, labels=None) -> list[dict]:
    """Outcome counts per week (Monday-Sunday) for the last `weeks` weeks, this one included, for the
    on-time rate by week: the rolled weeks in one query, the other rolled days in one, the remaining
    days to today from the milestones grouped by their local day, and the days ahead met early (their
    pending deadlines are not counted: a trend of rates does not show them)."""
    today = timezone.localdate(now)
    first = week_start(today) - dt.timedelta(weeks=weeks - 1)
    last = week_start(today) + dt.timedelta(days=6)
    labels = labels or Labels()
    by_week = {first + dt.timedelta(weeks=i): Tally() for i in range(weeks)}
    handler = own_handler(user)
    rolled = set()
    if handler is None:
        week_ranges, day_ranges, rolled = _rolled_spans(labels, first, last, now)
        for field, rows in _rolled_rows(user, unit, week_ranges, day_ranges):
            for when, counts, _taken, _late in _sum_rows([rows], (field,), with_durations=False):
                by_week[week_start(when)].add_counts(**dict(zip(OUTCOME_FIELDS, counts, strict=True)))
    every_day = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    raw = _raw_by_day(
        user, unit, [d for d in every_day if d not in rolled and d <= today], now, labels, handler=handler
    )
    for day, parts in raw.items():
        for part in parts.values():
            by_week[week_start(day)].add(part, durations=False)
    if today < last:
        # The days ahead (this week's): only what was met early counts toward the rate; their pending
        # deadlines, which the trend does not show, are not read.
        met = ticket_selectors.period_milestones(
            user, due_from=today + dt.timedelta(days=1), due_to=last, now=now, org_unit=unit, handler=handler
        ).filter(met_at__isnull=False)
        names = ("met_on_time", "met_late")
        early = met.aggregate(
            **{name: Count("id", filter=ticket_selectors.outcome_q(name, now=now)) for name in names}
        )
        by_week[week_start(today)].add_counts(**early)
    return [{"week": monday, "tally": tally} for monday, tally in by_week.items()]
