"""Escalation policies: the ladder's thresholds as data (per service type, with published defaults).

A service type's own policy wins; otherwise emergencies follow the EMERGENCY policy and every other
type the default one. The fallbacks are cached for a minute in each process and dropped whenever a
policy is saved or deleted.
"""

from __future__ import annotations

import threading
import time

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import EscalationPolicy, Unit

DEFAULT_POLICY_CODE = "DEFAULT"
EMERGENCY_POLICY_CODE = "EMERGENCY"
# The published defaults (service_standards.md); used when the database holds no policy row.
POLICY_DEFAULTS = {
    DEFAULT_POLICY_CODE: {
        "name": "默认升级规则",
        "warn_percent": 80,
        "is_default": True,
        "level2_after_amount": 1,
        "level2_after_unit": Unit.WORKING_DAYS,
        "level3_after_amount": 3,
        "level3_after_unit": Unit.WORKING_DAYS,
    },
    EMERGENCY_POLICY_CODE: {
        "name": "抢险升级规则",
        "warn_percent": 80,
        "is_default": False,
        "level2_after_amount": 15,
        "level2_after_unit": Unit.MINUTES,
        "level3_after_amount": 60,
        "level3_after_unit": Unit.MINUTES,
    },
}
POLICY_CACHE_SECONDS = 60.0

_policy_cache: dict[str, tuple[float, EscalationPolicy]] = {}
_policy_lock = threading.Lock()


def ensure_default_policies() -> dict[str, EscalationPolicy]:
    """Create the DEFAULT and EMERGENCY policies if missing (idempotent; edits in the admin are kept)."""
    result = {}
    for code, values in POLICY_DEFAULTS.items():
        defaults = dict(values)
        other_default = EscalationPolicy.objects.filter(is_default=True).exclude(code=code)
        if defaults["is_default"] and other_default.exists():
            defaults["is_default"] = False
        result[code], _created = EscalationPolicy.objects.get_or_create(code=code, defaults=defaults)
    clear_policy_cache()
    return result


def clear_policy_cache() -> None:
    with _policy_lock:
        _policy_cache.clear()


@receiver([post_save, post_delete], sender=EscalationPolicy, dispatch_uid="escalation_policy_changed")
def _policy_changed(sender, **kwargs):
    clear_policy_cache()


def _cached_policy(key: str, load) -> EscalationPolicy:
    cached = _policy_cache.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    policy = load()
    with _policy_lock:
        _policy_cache[key] = (time.monotonic() + POLICY_CACHE_SECONDS, policy)
    return policy


def _builtin(code: str) -> EscalationPolicy:
    return EscalationPolicy(code=code, **POLICY_DEFAULTS[code])


def policy_for(service_type) -> EscalationPolicy:
    """The service type's own policy, else the emergency policy for emergencies, else the default.

    No query when the service type's policy is select_related or the fallback is cached.
    """
    if service_type.escalation_policy_id is not None:
        return service_type.escalation_policy
    if service_type.is_emergency:
        return _cached_policy(
            EMERGENCY_POLICY_CODE,
            lambda: (
                EscalationPolicy.objects.filter(code=EMERGENCY_POLICY_CODE).first()
                or _builtin(EMERGENCY_POLICY_CODE)
            ),
        )
    return _cached_policy(
        DEFAULT_POLICY_CODE,
        lambda: EscalationPolicy.objects.filter(is_default=True).first() or _builtin(DEFAULT_POLICY_CODE),
    )
