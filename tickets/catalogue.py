"""The published catalogue of service commitments (shared/data/service_standards.md), as data.

seed_catalogue() is idempotent: it creates what is missing and leaves the administrators'
edits to existing rows alone (the figures vary by city; the admin is where they are changed).
"""

from django.db import transaction

from .calendars import seed_china_calendar
from .models import MilestoneStandard, ServiceType, Unit, WorkCalendar
from .policies import EMERGENCY_POLICY_CODE, ensure_default_policies

DEFAULT_CALENDAR = "CN-OFFICE"
C = ServiceType.Category
ALL = []
RES = ["residential"]
CI = ["commercial", "industrial"]
EMERGENCY = EMERGENCY_POLICY_CODE
SAFETY = MilestoneStandard.Condition.SAFETY_OR_SUPPLY
OTHER = MilestoneStandard.Condition.NOT_SAFETY_OR_SUPPLY

# Milestone names, zh / en.
NAMES = {
    "dispatch": ("派单出发", "Crew dispatched"),
    "arrive": ("到达现场", "On site"),
    "make_safe": ("险情控制", "Made safe"),
    "restore": ("恢复供气", "Supply restored"),
    "contact": ("联系客户", "Customer contacted"),
    "repair": ("维修完成", "Repaired"),
    "accept": ("受理", "Accepted"),
    "survey_design": ("勘察设计", "Survey and design"),
    "works_complete": ("施工完成", "Works complete"),
    "gas_on": ("通气点火", "Gas on"),
    "quote": ("报价", "Quotation"),
    "survey_quote": ("勘察报价", "Survey and quotation"),
    "complete": ("办结", "Completed"),
    "read": ("补抄处理", "Reading taken"),
    "reread": ("复核抄表", "Meter re-read"),
    "result": ("核查结果", "Result given"),
    "adjust": ("调整账务", "Account adjusted"),
    "send_for_test": ("送检", "Sent for testing"),
    "inform": ("告知结果", "Customer informed"),
    "verify": ("核定", "Verified"),
    "acknowledge": ("确认收到", "Acknowledged"),
    "reply": ("答复", "Reply"),
    "callback": ("回访", "Follow-up call"),
    "answer": ("答复咨询", "Answered"),
    "sign": ("签收", "Signed for"),
    "feedback": ("反馈结果", "Feedback to the hotline"),
    "recheck": ("复查", "Re-inspection"),
}

# code, zh, en, category, segments, policy,
#   [(milestone, amount, unit, starts_after, met_on_status[, condition])]
M, H, D, WH, WD = Unit.MINUTES, Unit.HOURS, Unit.DAYS, Unit.WORKING_HOURS, Unit.WORKING_DAYS
CATALOGUE = [
    (
        "EMR-LEAK-URB",
        "燃气泄漏抢险（城区）",
        "Gas leak emergency, urban",
        C.EMERGENCY,
        ALL,
        EMERGENCY,
        [
            ("dispatch", 10, M, "", "assigned"),
            ("arrive", 30, M, "", "in_progress"),
            ("make_safe", 2, H, "", ""),
            ("restore", 24, H, "", "resolved"),
        ],
    ),
    (
        "EMR-LEAK-SUB",
        "燃气泄漏抢险（郊区乡镇）",
        "Gas leak emergency, suburban and rural",
        C.EMERGENCY,
        ALL,
        EMERGENCY,
        [
            ("dispatch", 10, M, "", "assigned"),
            ("arrive", 60, M, "", "in_progress"),
            ("restore", 24, H, "", "resolved"),
        ],
    ),
    (
        "EMR-REG",
        "调压设施故障抢修",
        "Regulator failure",
        C.EMERGENCY,
        ALL,
        EMERGENCY,
        [("arrive", 40, M, "", "in_progress"), ("restore", 12, H, "", "resolved")],
    ),
    (
        "RPR-RES",
        "户内燃气设施报修",
        "Indoor repair",
        C.REPAIR,
        RES,
        None,
        [("contact", 30, M, "", ""), ("arrive", 4, H, "", "in_progress"), ("repair", 24, H, "", "resolved")],
    ),
    (
        "RPR-RES-RMT",
        "户内报修（偏远地区）",
        "Indoor repair, remote area",
        C.REPAIR,
        RES,
        None,
        [("arrive", 6, H, "", "in_progress"), ("repair", 36, H, "", "resolved")],
    ),
    (
        "RPR-RISER",
        "楼内立管维修",
        "Riser or shared pipe repair",
        C.REPAIR,
        RES,
        None,
        [("arrive", 4, H, "", "in_progress"), ("repair", 2, D, "", "resolved")],
    ),
    (
        "RPR-CI",
        "工商户设施报修",
        "Commercial or industrial repair",
        C.REPAIR,
        CI,
        None,
        [("arrive", 2, H, "", "in_progress"), ("repair", 6, H, "", "resolved")],
    ),
    (
        "INS-RES",
        "居民报装",
        "Residential connection",
        C.INSTALLATION,
        RES,
        None,
        [
            ("accept", 0, WD, "", "accepted"),
            ("survey_design", 5, WD, "", ""),
            ("works_complete", 12, WD, "survey_design", ""),
            ("gas_on", 1, WD, "works_complete", "resolved"),
        ],
    ),
    (
        "INS-CI-STD",
        "工商户报装（无外线）",
        "Commercial or industrial connection, no external mains",
        C.INSTALLATION,
        CI,
        None,
        [
            ("accept", 0, WD, "", "accepted"),
            ("survey_design", 3, WD, "", ""),
            ("works_complete", 7, WD, "survey_design", ""),
            ("gas_on", 1, WD, "works_complete", "resolved"),
        ],
    ),
    (
        "INS-CI-EXT",
        "工商户报装（含外线工程）",
        "Connection with external mains",
        C.INSTALLATION,
        CI,
        None,
        [
            ("accept", 0, WD, "", "accepted"),
            ("survey_design", 3, WD, "", ""),
            ("quote", 10, D, "", ""),
            ("works_complete", 30, WD, "quote", "resolved"),
        ],
    ),
    (
        "GAS-ON",
        "通气点火",
        "Gas-on and ignition",
        C.INSTALLATION,
        ALL,
        None,
        [("gas_on", 1, WD, "", "resolved")],
    ),
    (
        "ALT-RES",
        "户内改管/拆除",
        "Indoor pipe alteration or removal",
        C.ALTERATION,
        RES,
        None,
        [("survey_quote", 3, D, "", ""), ("complete", 7, D, "survey_quote", "resolved")],
    ),
    # The 48-hour notice before a planned stop is a lead time, not a deadline: only restore is watched.
    ("OUT-PLAN", "计划停气", "Planned outage", C.OUTAGE, ALL, None, [("restore", 24, H, "", "resolved")]),
    (
        "MTR-READ",
        "抄表异常处理",
        "Missed or estimated reading follow-up",
        C.METER,
        ALL,
        None,
        [("read", 3, WD, "", "resolved")],
    ),
    (
        "BIL-DISP",
        "抄表计费异议",
        "Reading or bill dispute",
        C.BILLING,
        ALL,
        None,
        [("reread", 24, H, "", ""), ("result", 3, WD, "", ""), ("adjust", 5, WD, "", "resolved")],
    ),
    (
        "MTR-TEST",
        "表具计量争议检定",
        "Meter accuracy dispute",
        C.METER,
        ALL,
        None,
        [("send_for_test", 5, WD, "", ""), ("inform", 1, WD, "send_for_test", "resolved")],
    ),
    (
        "ACC-SVC",
        "过户/更名/销户/补卡",
        "Account transfer, rename, close, card reissue",
        C.ACCOUNT,
        ALL,
        None,
        [("complete", 1, WD, "", "resolved")],
    ),
    (
        "ACC-HEAT",
        "采暖用户认定",
        "Heating-household tier recognition",
        C.ACCOUNT,
        RES,
        None,
        [("verify", 5, WD, "", "resolved")],
    ),
    (
        "CMP-STD",
        "一般投诉",
        "Complaint",
        C.COMPLAINT,
        ALL,
        None,
        [
            ("acknowledge", 24, H, "", "accepted"),
            ("contact", 1, WD, "", ""),
            ("reply", 3, WD, "", "resolved"),
            ("callback", 3, D, "reply", "closed"),
        ],
    ),
    (
        "CMP-SAFE",
        "安全类投诉",
        "Safety complaint",
        C.COMPLAINT,
        ALL,
        None,
        [("dispatch", 10, M, "", "assigned"), ("reply", 1, WD, "", "resolved")],
    ),
    ("ENQ", "咨询", "Enquiry needing follow-up", C.ENQUIRY, ALL, None, [("answer", 1, WH, "", "resolved")]),
    (
        "H12345",
        "12345转办工单",
        "Order forwarded by the 12345 city hotline",
        C.HOTLINE,
        ALL,
        None,
        [
            ("sign", 2, WH, "", "accepted"),
            ("feedback", 24, H, "", "resolved", SAFETY),
            ("reply", 7, WD, "", "resolved", OTHER),
        ],
    ),
    (
        "SAF-INSP",
        "入户安全检查",
        "Safety inspection follow-up",
        C.SAFETY,
        ALL,
        None,
        [("recheck", 30, D, "", "resolved")],
    ),
    # The follow-up ticket is opened at the closure of the case it follows, so "from closure" = receipt.
    (
        "SVY-CB",
        "办结回访",
        "Follow-up call after closure",
        C.FOLLOW_UP,
        ALL,
        None,
        [("callback", 3, D, "", "resolved")],
    ),
]

EXPECTED_CODES = [row[0] for row in CATALOGUE]


@transaction.atomic
def seed_catalogue() -> list[str]:
    """Create the default calendar, escalation policies and published service types; returns new codes."""
    seed_china_calendar()
    calendar = WorkCalendar.objects.get(code=DEFAULT_CALENDAR)
    policies = ensure_default_policies()  # DEFAULT (warn 80%, +1/+3 working days), EMERGENCY (+15/+60 min)
    existing = set(ServiceType.objects.values_list("code", flat=True))
    created = []
    for order, (code, name, name_en, category, segments, policy, standards) in enumerate(CATALOGUE, start=1):
        if code in existing:
            continue
        service_type = ServiceType.objects.create(
            code=code,
            name=name,
            name_en=name_en,
            category=category,
            segments=segments,
            is_emergency=code.startswith("EMR-"),
            calendar=calendar,
            escalation_policy=policies[policy] if policy else None,
            sort_order=order * 10,
        )
        MilestoneStandard.objects.bulk_create(
            [
                MilestoneStandard(
                    service_type=service_type,
                    code=row[0],
                    name=NAMES[row[0]][0],
                    name_en=NAMES[row[0]][1],
                    amount=row[1],
                    unit=row[2],
                    starts_after=row[3],
                    met_on_status=row[4],
                    condition=row[5] if len(row) > 5 else "",
                    sort_order=index * 10,
                )
                for index, row in enumerate(standards, start=1)
            ]
        )
        created.append(code)
    return created
