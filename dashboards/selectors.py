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
from django.db.models import Count, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrgUnit
from accounts.roles import sees_own_figures_only
from accounts.visibility import ALL, org_scope
from tickets import selectors as ticket_selectors
from tickets.calendars import get_snapshot
from tickets.models import Channel, MilestoneStandard, Priority, ServiceType, WorkCalendar

from .figures import OUTCOME_FIELDS, STEP_COLUMNS, STEP_FIELDS, Tally
from .models import DailyRollup, RolledDay, RolledWeek, WeeklyRollup

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
    the rollups, so that the tables of one page fold the same rows instead of reading them again."""

    def __init__(self):
        self.units = {u.pk: u for u in OrgUnit.objects.all()}
        self.units_by_code = {u.code: u for u in self.units.values()}
        self.types = {t.pk: t for t in ServiceType.objects.all()}
        self._milestones = None
        self._fresh_days = None
        self._rolled_weeks = None
        self.rollup_reads = {}

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
    fields = list(dict.fromkeys(KEY_FIELDS[k] for k in keys))
    annotations = {
        name: Count("id", filter=ticket_selectors.outcome_q(name, now=now)) for name in OUTCOME_FIELDS
    }
    grouped = (
        milestones.values(*fields).annotate(**annotations).order_by()
        if fields
        else [milestones.aggregate(**annotations)]
    )
    for row in grouped:
        key = tuple(labels.fold(k, row[KEY_FIELDS[k]]) for k in keys)
        if any(row[name] for name in OUTCOME_FIELDS):
            tallies[key].add_counts(**row)
    if not with_durations:
        return
    calendars = labels.calendars()
    met = (
        milestones.filter(met_at__isnull=False)
        .values_list(*fields, "unit", "amount", "due_at", "met_at", "ticket__service_type__calendar_id")
        .order_by()
    )
    positions = {name: i for i, name in enumerate(fields)}
    for values in met.iterator(chunk_size=5000):
        unit, amount, due_at, met_at, calendar_id = values[len(fields) :]
        key = tuple(labels.fold(k, values[positions[KEY_FIELDS[k]]]) for k in keys)
        tallies[key].add_met(
            unit=unit, amount=amount, due_at=due_at, met_at=met_at, cal=calendars[calendar_id]
        )


GROUP_FIELDS = ("org_unit", "service_type", "milestone")


def _rollup_sums(
    user, unit, first, last, *, weekly, with_durations, fields=GROUP_FIELDS, service_type=None, milestone=None
) -> list[tuple]:
    """The rollup rows of days (or weeks, by their Mondays) first..last in the viewer's scope (or
    `unit`'s subtree), added up per `fields` (and time unit, with durations):
    (org unit, service type, milestone, time unit, counts, taken, late), None where not grouped."""
    if weekly:
        rows = WeeklyRollup.objects.filter(week__gte=first, week__lte=last)
    else:
        rows = DailyRollup.objects.filter(day__gte=first, day__lte=last)
    rows = rows.filter(org_unit__in=OrgUnit.objects.visible_to(user))
    if unit is not None:
        rows = rows.filter(org_unit__path__startswith=unit.path)
    if service_type:
        rows = rows.filter(service_type__code=service_type)
    if milestone:
        rows = rows.filter(milestone=milestone)
    grouped = [*fields, *(["unit"] if with_durations else [])]
    sums = {name: Sum(name) for name in OUTCOME_FIELDS}
    if with_durations:
        sums.update({name: Sum(name) for name in STEP_FIELDS})
    found = rows.values(*grouped).annotate(**sums).order_by() if grouped else [rows.aggregate(**sums)]
    out = []
    for row in found:
        counts = {name: row[name] for name in OUTCOME_FIELDS}
        taken, late = {}, {}
        if with_durations:
            taken = {i: n for i, c in enumerate(STEP_COLUMNS) if (n := row[f"taken_{c}"])}
            late = {i: n for i, c in enumerate(STEP_COLUMNS) if (n := row[f"late_{c}"])}
        keys = tuple(row.get(name) for name in (*GROUP_FIELDS, "unit"))
        out.append((*keys, counts, taken, late))
    return out


def _add_rollups(
    tallies, labels, keys, user, unit, first, last, service_type, milestone, with_durations, weekly=False
):
    """Fold the rollup sums of days (weeks) first..last into `keys`. The durations of a period are read
    once per page, per unit, type and milestone, and every table folds them; counts alone are grouped
    in SQL as asked, unless that period's durations were read already."""
    position = {"branch": 0, "outlet": 0, "service_type": 1, "milestone": 2}
    read = (user.pk, unit.pk if unit else None, first, last, weekly)
    rows = labels.rollup_reads.get(read)
    filtered = False
    if rows is None and with_durations:
        rows = _rollup_sums(user, unit, first, last, weekly=weekly, with_durations=True)
        labels.rollup_reads[read] = rows
    elif rows is None:
        fields = [f for f in GROUP_FIELDS if any(GROUP_FIELDS[position[k]] == f for k in keys)]
        rows = _rollup_sums(
            user,
            unit,
            first,
            last,
            weekly=weekly,
            with_durations=False,
            fields=fields,
            service_type=service_type,
            milestone=milestone,
        )
        filtered = True
    types = {pk for pk, t in labels.types.items() if t.code == service_type} if service_type else None
    for row in rows:
        if not filtered and (
            (types is not None and row[1] not in types) or (milestone and row[2] != milestone)
        ):
            continue
        counts = row[4]
        if not any(counts.values()):
            continue
        tally = tallies[tuple(labels.fold(k, row[position[k]]) for k in keys)]
        tally.add_counts(**counts)
        if with_durations:
            tally.add_histograms({row[3]: row[5]}, {row[3]: row[6]})


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

    Days before today with a fresh rollup are read from it; the other days from the milestones.
    The durations (time taken, lateness) are read only when asked: counts alone are cheaper.
    """
    keys = check_group_by(group_by)
    check_range(start, end)
    labels = labels or Labels()
    handler = own_handler(user)
    tallies = defaultdict(Tally)
    raw_days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    if use_rollups and handler is None and set(keys) <= ROLLUP_GROUPS:
        yesterday = timezone.localdate(now) - dt.timedelta(days=1)
        rolled = {d for d in labels.fresh_days() if start <= d <= min(end, yesterday)}
        weeks = [
            w
            for w in sorted(labels.rolled_weeks())
            if all(w + dt.timedelta(days=i) in rolled for i in range(7))
        ]
        in_weeks = {w + dt.timedelta(days=i) for w in weeks for i in range(7)}
        spans = [(span, True) for span in _week_ranges(weeks)]
        spans += [(span, False) for span in _day_ranges(list(rolled - in_weeks))]
        for (first, last), weekly in spans:
            _add_rollups(
                tallies,
                labels,
                keys,
                user,
                unit,
                first,
                last,
                service_type,
                milestone,
                with_durations=with_durations,
                weekly=weekly,
            )
        raw_days = [d for d in raw_days if d not in rolled]
    for first, last in _day_ranges(raw_days):
        milestones = ticket_selectors.period_milestones(
            user,
            due_from=first,
            due_to=last,
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
    """On-time rate per week (Monday-Sunday) for the last `weeks` weeks, this one included."""
    this_week = week_start(timezone.localdate(now))
    first = this_week - dt.timedelta(weeks=weeks - 1)
    labels = labels or Labels()
    out = []
    for i in range(weeks):
        start = first + dt.timedelta(weeks=i)
        tally = total(
            sla_rows(user, start=start, end=start + dt.timedelta(days=6), now=now, unit=unit, labels=labels)
        )
        out.append({"week": start, "tally": tally})
    return out
