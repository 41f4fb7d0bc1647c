"""Scorecards: each measure of an outlet or branch against its target, green / amber / red.

The rule (stated on the page): green when the figure meets the target; amber when it falls short by
no more than the target's amber margin; red beyond that; grey when nothing was counted.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit

from .models import LOWER_IS_BETTER, Measure
from .services import TargetBook

RULE = _(
    "Green: the figure meets the target. Amber: it falls short by no more than the target's amber "
    "margin. Red: it falls short by more. Grey: nothing counted yet, or no target."
)


def colour(measure: str, actual: Decimal | None, target) -> str:
    if actual is None or target is None:
        return "grey"
    shortfall = actual - target.value if measure in LOWER_IS_BETTER else target.value - actual
    if shortfall <= 0:
        return "green"
    return "amber" if shortfall <= target.amber_margin else "red"


@dataclass
class Score:
    measure: str
    label: str
    actual: Decimal | None
    target: object
    colour: str


def verdict(score: Score) -> str:
    """The word a reader sees for a score: its colour, or why it has none."""
    label = {"green": _("Green"), "amber": _("Amber"), "red": _("Red")}.get(score.colour)
    if label is None:
        label = _("No figure") if score.actual is None else _("No target")
    return str(label)


def unit_scores(
    unit: OrgUnit,
    *,
    day,
    on_time_rate,
    by_type: dict,
    labels,
    book: TargetBook,
    complaints_per_10k=None,
    satisfaction: dict | None = None,
) -> list[Score]:
    """The scores of one unit: the overall on-time rate, each service type that has its own target,
    complaints per 10,000 customers where the complaints app gives it (branches), and the satisfaction
    app's satisfaction and callback rates."""
    scores = []
    target = book.effective(measure=Measure.ON_TIME_RATE, org_unit=unit, day=day)
    scores.append(
        Score(
            Measure.ON_TIME_RATE,
            str(Measure.ON_TIME_RATE.label),
            on_time_rate,
            target,
            colour(Measure.ON_TIME_RATE, on_time_rate, target),
        )
    )
    for service_type_id, rate in sorted(by_type.items(), key=lambda kv: labels.types[kv[0]].code):
        service_type = labels.types[service_type_id]
        target = book.effective(
            measure=Measure.ON_TIME_RATE, org_unit=unit, service_type=service_type, day=day
        )
        if target is None or target.service_type_id is None:
            continue
        scores.append(
            Score(
                Measure.ON_TIME_RATE,
                labels.label("service_type", service_type_id)[1],
                rate,
                target,
                colour(Measure.ON_TIME_RATE, rate, target),
            )
        )
    if complaints_per_10k is not None or unit.kind == OrgUnit.Kind.BRANCH:
        target = book.effective(measure=Measure.COMPLAINTS_PER_10K, org_unit=unit, day=day)
        value = Decimal(str(complaints_per_10k)) if complaints_per_10k is not None else None
        scores.append(
            Score(
                Measure.COMPLAINTS_PER_10K,
                str(Measure.COMPLAINTS_PER_10K.label),
                value,
                target,
                colour(Measure.COMPLAINTS_PER_10K, value, target),
            )
        )
    if satisfaction is not None:
        for measure, key in (
            (Measure.SATISFACTION_RATE, "satisfaction_rate"),
            (Measure.CALLBACK_RATE, "callback_rate"),
        ):
            target = book.effective(measure=measure, org_unit=unit, day=day)
            value = satisfaction.get(key)
            scores.append(Score(measure, str(measure.label), value, target, colour(measure, value, target)))
    return scores
