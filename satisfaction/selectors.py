"""Reads shared by the pages, the API and the dashboards: the figures of satisfaction.md, the
callback queue, the answers behind a figure.

The figures (one definition each; shared/data/satisfaction.md, "Formulas"):
- satisfaction rate = answers with overall 5 or 4 / valid answers x 100 (target 90%);
- callback rate = cases with any outcome recorded / cases due for follow-up x 100;
- valid-answer rate = answered / cases due x 100;
- dimension score = mean of that dimension's items over valid answers, not applicable left out (1-5);
- first-time fix rate = solved "yes" / valid answers x 100;
- recovery success rate = recoveries closed with the customer now satisfied / recoveries closed x 100.

Every figure selector takes the same scope:
    user      -- rows the user may see (visible_to), or None for every row (dashboards' rollups);
    scope     -- an OrgUnit: its subtree only (None = everything the user sees);
    start, end -- local dates, inclusive, of the case's closure (None = open-ended);
    group_by  -- None (one row), "outlet", "branch", "service_type", "handler" or "month".
Rates are Decimal percentages to one place (ROUND_HALF_UP), scores Decimal to two places; None
when the denominator is 0.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth

from .models import (
    DUE_STATES,
    OUTCOME_STATES,
    SERVQUAL,
    ImprovementAction,
    ItemScoreDay,
    Question,
    Recovery,
    Survey,
)
from .rules import LOCAL_TZ, SATISFACTION_TARGET

ANSWERED = Survey.State.ANSWERED
TARGET = Decimal(SATISFACTION_TARGET)

# group_by -> (key field, label field), relative to Survey; human codes as keys (URLs use them).
GROUPS = {
    "outlet": ("org_unit__code", "org_unit__name"),
    "branch": ("org_unit__parent__code", "org_unit__parent__name"),
    "service_type": ("service_type__code", "service_type__name"),
    "handler": ("handler__username", "handler__first_name"),
    "month": ("month", "month"),
}


def _pct(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _mean(total, count) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=LOCAL_TZ)


def surveys_in_scope(
    *, user=None, scope=None, start: dt.date | None = None, end: dt.date | None = None, model=Survey
):
    """Surveys (or recoveries: `model`, which carry their survey's unit and closure) in the scope."""
    qs = model.objects.all() if user is None else model.objects.visible_to(user)
    if scope is not None:
        qs = qs.filter(org_unit__path__startswith=scope.path)
    if start is not None:
        qs = qs.filter(case_closed_at__gte=local_midnight(start))
    if end is not None:
        qs = qs.filter(case_closed_at__lt=local_midnight(end + dt.timedelta(days=1)))
    return qs


def _grouped(qs, group_by, prefix=""):
    if group_by is None:
        return qs, None, None
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {sorted(GROUPS)} or None")
    key, label = GROUPS[group_by]
    if group_by == "month":
        qs = qs.annotate(month=TruncMonth(f"{prefix}case_closed_at", tzinfo=LOCAL_TZ))
        return qs.values("month"), "month", "month"
    return qs.values(f"{prefix}{key}", f"{prefix}{label}"), f"{prefix}{key}", f"{prefix}{label}"


def _key_text(group_by, value) -> str:
    if value is None:
        return ""
    if group_by == "month":
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m") if isinstance(value, dt.datetime) else str(value)
    return str(value)


DIMENSION_COUNTERS = [f"{d}_{part}" for d in SERVQUAL for part in ("sum", "n")]
SURVEY_COUNTERS = ["closed", "due", "with_outcome", "answered", "satisfied", "solved", *DIMENSION_COUNTERS]
_DUE = {s.value for s in DUE_STATES}
_WITH_OUTCOME = {s.value for s in OUTCOME_STATES}


def _survey_counters(*, user, scope, start, end, group_by) -> list[tuple[str, str, dict]]:
    """(key, label, counters) per group, or one ("", "", counters) without grouping. One query, grouped
    further by state, overall score and solved, and folded here: the counters every figure is made
    of (sums and counts only, so the figures of several groups are the sums of their counters)."""
    qs, key_field, label_field = _grouped(
        surveys_in_scope(user=user, scope=scope, start=start, end=end), group_by
    )
    keys = list(dict.fromkeys(f for f in (key_field, label_field) if f))
    rows = (
        qs.values(*keys, "state", "overall", "is_solved")
        .annotate(n=Count("id"), **{f"{name}_total": Sum(name) for name in DIMENSION_COUNTERS})
        .order_by(*keys[:1])
    )
    groups: dict[tuple, dict] = {} if key_field else {(None, None): dict.fromkeys(SURVEY_COUNTERS, 0)}
    for row in rows:
        group = (row[key_field], row[label_field]) if key_field else (None, None)
        counters = groups.setdefault(group, dict.fromkeys(SURVEY_COUNTERS, 0))
        n, state = row["n"], row["state"]
        counters["closed"] += n
        counters["due"] += n if state in _DUE else 0
        counters["with_outcome"] += n if state in _WITH_OUTCOME else 0
        if state == ANSWERED:
            counters["answered"] += n
            counters["satisfied"] += n if row["overall"] >= 4 else 0
            counters["solved"] += n if row["is_solved"] else 0
            for name in DIMENSION_COUNTERS:
                counters[name] += row[f"{name}_total"]
    return [(_key_text(group_by, key), _key_text(group_by, label), c) for (key, label), c in groups.items()]


def _summed(counters: list[dict], names) -> dict:
    return {name: sum(row[name] or 0 for row in counters) for name in names}


def _figure_row(key: str, label: str, row: dict) -> dict:
    rate = _pct(row["satisfied"], row["answered"])
    return {
        "key": key,
        "label": label,
        "closed": row["closed"],
        "due": row["due"],
        "with_outcome": row["with_outcome"],
        "answered": row["answered"],
        "satisfied": row["satisfied"],
        "solved": row["solved"],
        "callback_rate": _pct(row["with_outcome"], row["due"]),
        "valid_rate": _pct(row["answered"], row["due"]),
        "satisfaction_rate": rate,
        "first_fix_rate": _pct(row["solved"], row["answered"]),
        "meets_target": None if rate is None else rate >= TARGET,
        "scores": {d.value: _mean(row[f"{d}_sum"] or 0, row[f"{d}_n"] or 0) for d in SERVQUAL},
    }


def _item_counters(*, user, scope, start, end) -> dict[str, tuple[int, int]]:
    """{question code: (sum of scores, answers)} of the answers in the scope, from the days' sums."""
    qs = ItemScoreDay.objects.all() if user is None else ItemScoreDay.objects.visible_to(user)
    if scope is not None:
        qs = qs.filter(org_unit__path__startswith=scope.path)
    if start is not None:
        qs = qs.filter(day__gte=start)
    if end is not None:
        qs = qs.filter(day__lte=end)
    rows = qs.values("question_code").annotate(sum=Sum("total"), n=Sum("answers")).order_by()
    return {row["question_code"]: (row["sum"], row["n"]) for row in rows}


def _worst(counters: dict, limit: int) -> list[dict]:
    items = [
        {
            "code": q.code,
            "question": q.local_text,
            "dimension": q.dimension,
            "score": _mean(*counters[q.code]),
            "answers": counters[q.code][1],
        }
        for q in Question.objects.exclude(dimension="overall").order_by("sort_order", "code")
        if counters.get(q.code, (0, 0))[1]
    ]
    return sorted(items, key=lambda item: (item["score"], item["code"]))[:limit]


def satisfaction_figures(*, user=None, scope=None, start=None, end=None, group_by=None) -> list[dict]:
    """The rates and dimension scores, one dict per group (one dict in all when group_by is None).

    Keys: key, label (the group's code and name; "" / "" without grouping), closed, due, with_outcome,
    answered, satisfied, solved, callback_rate, valid_rate, satisfaction_rate, first_fix_rate,
    meets_target, scores {dimension: score}. One query.
    """
    groups = _survey_counters(user=user, scope=scope, start=start, end=end, group_by=group_by)
    return [_figure_row(key, label, row) for key, label, row in groups]


def figures_and_total(*, user=None, scope=None, start=None, end=None, group_by=None) -> tuple[dict, list]:
    """satisfaction_figures without grouping and with it, from one query: the total is the sum of the
    groups' counters."""
    common = {"user": user, "scope": scope, "start": start, "end": end}
    if group_by is None:
        return satisfaction_figures(**common)[0], []
    groups = _survey_counters(**common, group_by=group_by)
    total = _summed([row for _, _, row in groups], SURVEY_COUNTERS)
    return _figure_row("", "", total), [_figure_row(key, label, row) for key, label, row in groups]


def _recovery_aggregates() -> dict:
    return {
        "opened": Count("id"),
        "closed": Count("id", filter=Q(closed_at__isnull=False)),
        "succeeded": Count("id", filter=Q(closed_at__isnull=False, is_customer_satisfied=True)),
        "repeats": Count("id", filter=Q(is_repeat=True)),
    }


def _recovery_counters(*, user, scope, start, end, group_by) -> list[tuple[str, str, dict]]:
    qs, key_field, label_field = _grouped(
        surveys_in_scope(user=user, scope=scope, start=start, end=end, model=Recovery),
        group_by,
        prefix="survey__" if group_by in ("service_type", "handler") else "",
    )
    aggregates = _recovery_aggregates()
    if key_field is None:
        return [("", "", qs.aggregate(**aggregates))]
    return [
        (_key_text(group_by, row.get(key_field)), _key_text(group_by, row.get(label_field)), row)
        for row in qs.annotate(**aggregates).order_by(key_field)
    ]


def _recovery_row(key: str, label: str, row: dict) -> dict:
    return {
        "key": key,
        "label": label,
        "opened": row["opened"],
        "closed": row["closed"],
        "succeeded": row["succeeded"],
        "repeats": row["repeats"],
        "success_rate": _pct(row["succeeded"], row["closed"]),
    }


def recovery_figures(*, user=None, scope=None, start=None, end=None, group_by=None) -> list[dict]:
    """Service recovery: opened, closed, succeeded (customer now satisfied), success_rate; per group,
    by the closure date of the original case. Kept apart from the satisfaction rate."""
    groups = _recovery_counters(user=user, scope=scope, start=start, end=end, group_by=group_by)
    return [_recovery_row(key, label, row) for key, label, row in groups]


def worst_items(*, user=None, scope=None, start=None, end=None, limit: int = 5) -> list[dict]:
    """The questionnaire items with the lowest mean score (not applicable left out), lowest first:
    code, question, dimension, score, answers. From the days' item sums (ItemScoreDay)."""
    return _worst(_item_counters(user=user, scope=scope, start=start, end=end), limit)


def figures_page(*, user=None, scope=None, start=None, end=None, group_by="outlet", limit: int = 5) -> dict:
    """Everything the figures page shows: one pass over the surveys (per group; the total is the sum of
    the groups), one over the recoveries (likewise) and the days' item sums for the worst items.

    Keys: total, rows (satisfaction_figures), recovery_total, recovery_rows {key: row}
    (recovery_figures), worst (worst_items).
    """
    common = {"user": user, "scope": scope, "start": start, "end": end}
    total, rows = figures_and_total(**common, group_by=group_by)
    recoveries = _recovery_counters(**common, group_by=group_by)
    recovery_total = _summed([row for _, _, row in recoveries], _recovery_aggregates())
    return {
        "total": total,
        "rows": rows,
        "recovery_total": _recovery_row("", "", recovery_total),
        "recovery_rows": {key: _recovery_row(key, label, row) for key, label, row in recoveries},
        "worst": _worst(_item_counters(**common), limit),
    }


def answers_behind(*, user, scope=None, start=None, end=None, group_by=None, key: str = "", state: str = ""):
    """The surveys behind one figure (drill-down): the same scope, one group's key, a state."""
    qs = surveys_in_scope(user=user, scope=scope, start=start, end=end)
    if group_by in GROUPS and key:
        if group_by == "month":
            try:
                first = dt.datetime.strptime(key, "%Y-%m").date()
            except ValueError:
                return qs.none()
            following = (first + dt.timedelta(days=32)).replace(day=1)
            qs = qs.filter(
                case_closed_at__gte=local_midnight(first), case_closed_at__lt=local_midnight(following)
            )
        else:
            qs = qs.filter(**{GROUPS[group_by][0]: key})
    if state == "due":
        qs = qs.filter(state__in=DUE_STATES)
    elif state == "satisfied":
        qs = qs.filter(state=ANSWERED, overall__gte=4)
    elif state == "unsatisfied":
        qs = qs.filter(state=ANSWERED, overall__lte=3)
    elif state in Survey.State.values:
        qs = qs.filter(state=state)
    return qs.select_related("ticket", "org_unit", "service_type", "handler").order_by(
        "-case_closed_at", "-id"
    )


def callback_queue(user):
    """Open phone follow-ups the user may see, nearest callback deadline first."""
    return (
        Survey.objects.visible_to(user)
        .filter(state=Survey.State.PENDING, method=Survey.Method.CALLBACK, callback_ticket__isnull=False)
        .select_related("ticket", "callback_ticket", "org_unit", "service_type")
        .annotate(tries=Count("attempts", filter=Q(attempts__counts_as_try=True)))
        .order_by(F("callback_ticket__next_due_at").asc(nulls_last=True), "id")
    )


def survey_for(user, reference: str) -> Survey | None:
    """The current survey of a case if the user may see it, by the case's reference or by its
    callback ticket's (the queue's SVY-CB ticket opens on its survey's page)."""
    return (
        Survey.objects.visible_to(user)
        .filter(Q(ticket__reference=reference) | Q(callback_ticket__reference=reference))
        .exclude(state=Survey.State.WITHDRAWN)
        .select_related(
            "ticket__service_type", "callback_ticket", "org_unit", "service_type", "handler", "customer"
        )
        .first()
    )


def recovery_for(user, reference: str) -> Recovery | None:
    """A recovery by its recovery ticket's reference, if the user may see it."""
    return (
        Recovery.objects.visible_to(user)
        .filter(ticket__reference=reference)
        .select_related("ticket__assignee", "original__service_type", "original__org_unit", "survey")
        .first()
    )


def recoveries_for(user, *, open_only: bool = False):
    qs = Recovery.objects.visible_to(user).select_related("ticket", "original", "survey")
    if open_only:
        qs = qs.filter(closed_at__isnull=True)
    return qs.order_by("-opened_at", "-id")


def improvement_actions(*, user=None, scope=None):
    """Improvement actions in the scope, newest first, with their checks (before and after)."""
    qs = ImprovementAction.objects.all() if user is None else ImprovementAction.objects.visible_to(user)
    if scope is not None:
        qs = qs.filter(org_unit__path__startswith=scope.path)
    return (
        qs.select_related("ticket", "org_unit", "owner")
        .prefetch_related("checks")
        .order_by("-opened_at", "-id")
    )
