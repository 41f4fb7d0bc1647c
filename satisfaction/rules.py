"""The rules of satisfaction.md as pure functions: who is surveyed, when a text goes out, recovery.

No ORM and no clock here: the services hand in what they read and the time.
"""

import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

RECENT_SURVEY_DAYS = 30  # never the same customer twice within 30 days
REPEAT_RECOVERY_DAYS = 90  # a second unhappy answer within 90 days goes to the branch manager
TOKEN_DAYS = 7  # the SMS link is valid for 7 days
UNREACHABLE_TRIES = 3  # three failed calls at different times
TRY_SPACING = dt.timedelta(hours=2)  # "different times": at least this far apart
SMS_HOURS = (dt.time(9, 0), dt.time(20, 0))  # a decent hour, local time
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
SATISFACTION_TARGET = 90  # percent, the published target

# Categories of service types with a default share, when no SurveyRule row says otherwise.
DEFAULT_SHARES = {"complaint": 100, "hotline": 100, "billing": 100, "emergency": 100, "follow_up": 0}
DEFAULT_SHARE = 30


def default_share(category: str, *, is_emergency: bool = False) -> int:
    if is_emergency:
        return 100
    return DEFAULT_SHARES.get(category, DEFAULT_SHARE)


# Service types whose unanswered SMS survey goes to the callback queue by default: complaints and
# the disputes (reading or bill, meter accuracy), where an unheard customer matters most.
CALLBACK_WHEN_EXPIRED_CATEGORIES = {"complaint"}
CALLBACK_WHEN_EXPIRED_TYPES = {"BIL-DISP", "MTR-TEST"}


def default_callback_when_expired(category: str, code: str) -> bool:
    return category in CALLBACK_WHEN_EXPIRED_CATEGORIES or code in CALLBACK_WHEN_EXPIRED_TYPES


def sample_point(reference: str) -> int:
    """A case's fixed place in 0..99, from its reference: a random but reproducible sample."""
    return int.from_bytes(hashlib.sha256(reference.encode()).digest()[:4], "big") % 100


def exclusion_for(*, reference: str, share_percent: int, is_cancelled: bool, recently_surveyed: bool) -> str:
    """Why a closed case is not followed up ("" = it is due). The first rule that applies wins."""
    if is_cancelled:
        return "cancelled"
    if share_percent <= 0:
        return "never"
    if sample_point(reference) >= share_percent:
        return "not_sampled"
    if recently_surveyed:
        return "recently_surveyed"
    return ""


def sms_send_at(now: dt.datetime) -> dt.datetime:
    """Now when it is 09:00-20:00 local time; otherwise the next 09:00."""
    local = now.astimezone(LOCAL_TZ)
    start, end = SMS_HOURS
    if start <= local.time() < end:
        return now
    day = local.date() if local.time() < start else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, start, tzinfo=LOCAL_TZ)


def recovery_reasons(*, overall: int | None, scores: dict, is_solved: bool | None) -> list[str]:
    """The trigger: overall <= 2, any item at 1, or not solved. Empty = no recovery."""
    reasons = []
    if overall is not None and overall <= 2:
        reasons.append("overall_low")
    if any(score == 1 for score in scores.values() if score is not None) or overall == 1:
        reasons.append("item_at_1")
    if is_solved is False:
        reasons.append("not_solved")
    return reasons


def counts_as_new_try(previous_tries: list[dt.datetime], at: dt.datetime) -> bool:
    """A failed call counts towards "unreachable" only at a different time from the earlier tries."""
    return all(abs(at - earlier) >= TRY_SPACING for earlier in previous_tries)
