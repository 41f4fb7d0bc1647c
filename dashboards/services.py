"""Changes the dashboards make: targets (cascaded, stricter only below the group) and nothing else."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import OrgUnit
from accounts.roles import may_set_targets
from accounts.visibility import ALL, org_scope

from .models import LOWER_IS_BETTER, Measure, Target

PERCENT_MEASURES = frozenset(Measure.values) - LOWER_IS_BETTER


class TargetBook:
    """Every target, read once, for a page that looks up many (scorecards): the same rule as below."""

    def __init__(self):
        self.targets = list(Target.objects.select_related("org_unit", "service_type"))

    def effective(
        self, *, measure: str, org_unit: OrgUnit, service_type=None, day: dt.date, below: bool = False
    ) -> Target | None:
        """The target in force for a unit on a day: its own, else the nearest above it (`below`: only
        those above the unit). A service type's own target comes before the general one of the same unit."""
        codes = org_unit.path.strip("/").split("/")
        if below:
            codes = codes[:-1]
        depth = {code: i for i, code in enumerate(codes)}
        best = None
        for target in self.targets:
            if target.measure != measure or target.org_unit.code not in depth or target.valid_from > day:
                continue
            if target.service_type_id is not None and (
                service_type is None or target.service_type_id != service_type.pk
            ):
                continue
            rank = (depth[target.org_unit.code], target.service_type_id is not None, target.valid_from)
            if best is None or rank > best[0]:
                best = (rank, target)
        return best[1] if best else None


def effective_target(
    *, measure: str, org_unit: OrgUnit, service_type=None, day: dt.date, below: bool = False
) -> Target | None:
    """The target in force for a unit on a day (see TargetBook.effective)."""
    return TargetBook().effective(
        measure=measure, org_unit=org_unit, service_type=service_type, day=day, below=below
    )


def is_looser(measure: str, value: Decimal, than: Decimal) -> bool:
    return value > than if measure in LOWER_IS_BETTER else value < than


def _check_may_set(actor, org_unit: OrgUnit) -> None:
    scope = org_scope(actor)
    if not may_set_targets(actor) or scope is None:
        raise ValidationError({"org_unit": _("Only the group centre and branch managers set targets.")})
    if scope is ALL:
        return
    if not (org_unit.path.startswith(scope) and org_unit.path != scope):
        raise ValidationError({"org_unit": _("A branch sets targets for the outlets below it only.")})


def check_target(*, measure, org_unit, service_type, valid_from, value, actor) -> None:
    """Field errors for a target someone wants to set (the admin form and the service share this)."""
    errors = {}
    if measure not in Measure.values:
        errors["measure"] = _("Unknown measure.")
    if service_type is not None and measure != Measure.ON_TIME_RATE:
        errors["service_type"] = _("Only on-time rate targets are set per service type.")
    if value is None or value < 0 or (measure in PERCENT_MEASURES and value > 100):
        errors["value"] = _("A rate target lies between 0 and 100.")
    if errors:
        raise ValidationError(errors)
    _check_may_set(actor, org_unit)
    inherited = effective_target(
        measure=measure, org_unit=org_unit, service_type=service_type, day=valid_from, below=True
    )
    if inherited is not None and is_looser(measure, value, inherited.value):
        raise ValidationError(
            {
                "value": _(
                    "A unit may only set a stricter target than the one above it: %(unit)s has %(inherited)s "
                    "for this measure, so %(value)s is looser and is refused."
                )
                % {"unit": inherited.org_unit.name, "inherited": inherited.value, "value": value}
            }
        )


def set_target(
    *, measure, org_unit, value, valid_from, actor, now, service_type=None, amber_margin=Decimal(5)
) -> Target:
    """Set a target from a day on; a second target for the same measure, unit and day is refused."""
    value = Decimal(value)
    check_target(
        measure=measure,
        org_unit=org_unit,
        service_type=service_type,
        valid_from=valid_from,
        value=value,
        actor=actor,
    )
    try:
        with transaction.atomic():
            return Target.objects.create(
                measure=measure,
                org_unit=org_unit,
                service_type=service_type,
                valid_from=valid_from,
                value=value,
                amber_margin=Decimal(amber_margin),
                set_by=actor,
                set_at=now,
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"valid_from": _("This unit already has a target for this measure from that day.")}
        ) from exc
