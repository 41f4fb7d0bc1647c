"""Demo targets and rollups for `manage.py seed_demo` (connected to accounts.signals.demo_seeded).

The group centre's targets, one stricter target a branch set for an outlet, the rollups of the
days before today and the open backlogs of the recent week starts, so the scorecards and the trend
have something to show. Idempotent.
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import OrgUnit

from . import backlogs, rollups, services
from .models import Measure, Target

# (measure, unit code, value, amber margin, set by): the demo tickets run late on purpose.
DEMO_TARGETS = [
    (Measure.ON_TIME_RATE, "GSC", "35", "5", "centremgr"),
    (Measure.COMPLAINTS_PER_10K, "GSC", "50", "10", "centremgr"),
    (Measure.COMPLAINTS_ANSWERED_ON_TIME, "GSC", "90", "5", "centremgr"),
    (Measure.SATISFACTION_RATE, "GSC", "90", "5", "centremgr"),
    (Measure.CALLBACK_RATE, "GSC", "90", "10", "centremgr"),
    (Measure.ON_TIME_RATE, "OUT01", "40", "5", "branchmgr"),
]
ROLLED_DAYS = 120


def seed_demo_targets(sender=None, *, now, **kwargs) -> int:
    users = get_user_model().objects.select_related("staff_profile__org_unit")
    units = {u.code: u for u in OrgUnit.objects.all()}
    start = timezone.localdate(now).replace(month=1, day=1)
    created = 0
    for measure, code, value, margin, username in DEMO_TARGETS:
        actor = users.filter(username=username).first()
        if code not in units or actor is None:
            continue
        if Target.objects.filter(measure=measure, org_unit=units[code], service_type=None).exists():
            continue
        try:
            services.set_target(
                measure=measure,
                org_unit=units[code],
                value=Decimal(value),
                valid_from=start,
                amber_margin=Decimal(margin),
                actor=actor,
                now=now,
            )
            created += 1
        except ValidationError:
            continue
    today = timezone.localdate(now)
    for days in range(1, ROLLED_DAYS + 1):
        rollups.roll_day(today - dt.timedelta(days=days), now=now)
    backlogs.count_due_weeks(now=now)
    return created
