"""The published catalogue is seeded on migrate, idempotently, with the codes of the standards."""

import pytest
from django.core.management import call_command

from tickets.catalogue import EXPECTED_CODES, seed_catalogue
from tickets.models import EscalationPolicy, MilestoneStandard, ServiceType, WorkCalendar

pytestmark = pytest.mark.django_db

PUBLISHED_CODES = [
    "EMR-LEAK-URB",
    "EMR-LEAK-SUB",
    "EMR-REG",
    "RPR-RES",
    "RPR-RES-RMT",
    "RPR-RISER",
    "RPR-CI",
    "INS-RES",
    "INS-CI-STD",
    "INS-CI-EXT",
    "GAS-ON",
    "ALT-RES",
    "OUT-PLAN",
    "MTR-READ",
    "BIL-DISP",
    "MTR-TEST",
    "ACC-SVC",
    "ACC-HEAT",
    "CMP-STD",
    "CMP-SAFE",
    "ENQ",
    "H12345",
    "SAF-INSP",
    "SVY-CB",
]


def test_every_published_code_is_seeded_by_migrate():
    assert EXPECTED_CODES == PUBLISHED_CODES
    # Upper apps may add unpublished service types of their own (satisfaction: SVY-RCV, IMP-ACT).
    published = ServiceType.objects.filter(is_public=True).values_list("code", flat=True)
    assert sorted(published) == sorted(PUBLISHED_CODES)
    assert WorkCalendar.objects.filter(code="CN-OFFICE").exists()


def test_seed_is_idempotent_and_keeps_admin_edits():
    standard = MilestoneStandard.objects.get(service_type__code="INS-CI-STD", code="survey_design")
    standard.amount = 2  # a city publishes a stricter promise
    standard.save()

    def counts():
        return [model.objects.count() for model in (ServiceType, MilestoneStandard, EscalationPolicy)]

    before = counts()
    assert seed_catalogue() == []
    call_command("seed_catalogue")
    assert counts() == before
    standard.refresh_from_db()
    assert standard.amount == 2


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "INS-CI-STD",
            [
                ("accept", 0, "working_days", "", "accepted"),
                ("survey_design", 3, "working_days", "", ""),
                ("works_complete", 7, "working_days", "survey_design", ""),
                ("gas_on", 1, "working_days", "works_complete", "resolved"),
            ],
        ),
        (
            "EMR-LEAK-URB",
            [
                ("dispatch", 10, "minutes", "", "assigned"),
                ("arrive", 30, "minutes", "", "in_progress"),
                ("make_safe", 2, "hours", "", ""),
                ("restore", 24, "hours", "", "resolved"),
            ],
        ),
        ("OUT-PLAN", [("restore", 24, "hours", "", "resolved")]),
        (
            "CMP-STD",
            [
                ("acknowledge", 24, "hours", "", "accepted"),
                ("contact", 1, "working_days", "", ""),
                ("reply", 3, "working_days", "", "resolved"),
                ("callback", 3, "days", "reply", "closed"),
            ],
        ),
    ],
)
def test_standards(code, expected):
    rows = MilestoneStandard.objects.filter(service_type__code=code).order_by("sort_order")
    assert [(s.code, s.amount, s.unit, s.starts_after, s.met_on_status) for s in rows] == expected


def test_hotline_conditions_and_emergency_policy():
    h = {s.code: s for s in MilestoneStandard.objects.filter(service_type__code="H12345")}
    assert (h["sign"].amount, h["sign"].unit) == (2, "working_hours")
    feedback, reply = h["feedback"], h["reply"]
    assert (feedback.amount, feedback.unit, feedback.condition) == (24, "hours", "safety_or_supply")
    assert (reply.amount, reply.unit, reply.condition) == (7, "working_days", "not_safety_or_supply")
    for emr in ServiceType.objects.filter(code__startswith="EMR-").select_related("escalation_policy"):
        policy = emr.escalation_policy
        assert emr.is_emergency and (policy.level2_after_amount, policy.level2_after_unit) == (15, "minutes")
        assert (policy.level3_after_amount, policy.level3_after_unit) == (60, "minutes")
    default = EscalationPolicy.objects.get(is_default=True)
    assert default.warn_percent == 80
    assert (default.level2_after_amount, default.level2_after_unit) == (1, "working_days")
    assert (default.level3_after_amount, default.level3_after_unit) == (3, "working_days")
    segments = dict(ServiceType.objects.values_list("code", "segments"))
    assert segments["RPR-CI"] == ["commercial", "industrial"] and segments["INS-RES"] == ["residential"]
    assert segments["ENQ"] == []


def test_demo_tickets_cover_statuses_and_sla_states():
    from tickets.demo import seed_demo_tickets
    from tickets.models import Ticket

    from .factories import Org, at

    Org()
    assert seed_demo_tickets(now=at(2026, 3, 12, 10, 0), count=60) == 60
    assert len(set(Ticket.objects.values_list("status", flat=True))) >= 5
    assert {"breached", "on_time"} <= set(Ticket.objects.open().values_list("sla_state", flat=True))
    assert seed_demo_tickets(now=at(2026, 3, 12, 10, 0)) == 0  # once only
