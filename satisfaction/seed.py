"""The default questionnaire, survey rules and the service-recovery service type (idempotent).

Administrators edit all of these afterwards (admin); a second run leaves their edits alone.
"""

from django.db import transaction

from tickets.models import MilestoneStandard, ServiceType, Unit, WorkCalendar

from .models import Dimension, Question, SurveyRule
from .rules import default_callback_when_expired, default_share

D = Dimension
# shared/data/satisfaction.md, "Items"
QUESTIONS = [
    ("T1", D.TANGIBLES, "工作人员着装规范、主动出示工作证", "Staff were in uniform and showed their ID"),
    ("T2", D.TANGIBLES, "作业工具齐全，完工后现场整洁", "They had the right tools and left the site clean"),
    ("R1", D.RELIABILITY, "按约定时间到达或办理", "They arrived or acted at the agreed time"),
    ("R2", D.RELIABILITY, "问题一次解决", "The problem was solved the first time"),
    ("S1", D.RESPONSIVENESS, "热线或营业厅响应及时", "The hotline or counter responded promptly"),
    ("S2", D.RESPONSIVENESS, "处理进度及时告知", "You were kept informed of progress"),
    ("A1", D.ASSURANCE, "工作人员专业，解释清楚", "Staff were competent and explained clearly"),
    ("A2", D.ASSURANCE, "作业安全规范，让您放心", "The work was done safely"),
    ("E1", D.EMPATHY, "耐心倾听，礼貌热情", "Staff listened patiently and were courteous"),
    ("E2", D.EMPATHY, "服务时间和渠道方便", "Service hours and channels are convenient"),
    ("OV", D.OVERALL, "总体满意度", "Overall satisfaction"),
]

# Service recovery (satisfaction.md): contact the customer within 1 working day, close within 3.
RECOVERY_SERVICE_TYPE = "SVY-RCV"
RECOVERY_MILESTONES = [
    ("contact", "联系客户", "Customer contacted", 1, Unit.WORKING_DAYS, "in_progress"),
    ("complete", "补救办结", "Recovery completed", 3, Unit.WORKING_DAYS, "resolved"),
]
CALLBACK_SERVICE_TYPE = "SVY-CB"
# Improvement actions: the owner's due date is set on the "complete" milestone of each action.
IMPROVEMENT_SERVICE_TYPE = "IMP-ACT"
IMPROVEMENT_MILESTONES = [("complete", "措施完成", "Action completed", 30, Unit.DAYS, "resolved")]
OWN_SERVICE_TYPES = [
    (RECOVERY_SERVICE_TYPE, "服务补救", "Service recovery", RECOVERY_MILESTONES, 990),
    (IMPROVEMENT_SERVICE_TYPE, "改进措施", "Improvement action", IMPROVEMENT_MILESTONES, 995),
]


@transaction.atomic
def seed_satisfaction() -> dict:
    """Questions, one rule per service type, the SVY-RCV and IMP-ACT service types; returns what was added."""
    added = {"questions": 0, "rules": 0, "service_types": 0}
    existing = set(Question.objects.values_list("code", flat=True))
    new = [
        Question(code=code, dimension=dim, text=zh, text_en=en, sort_order=index * 10)
        for index, (code, dim, zh, en) in enumerate(QUESTIONS, start=1)
        if code not in existing
    ]
    Question.objects.bulk_create(new)
    added["questions"] = len(new)
    calendar = WorkCalendar.objects.filter(code="CN-OFFICE").first()
    existing_types = set(ServiceType.objects.values_list("code", flat=True))
    for code, name, name_en, milestones, sort_order in OWN_SERVICE_TYPES:
        if calendar is None or code in existing_types:
            continue
        service_type = ServiceType.objects.create(
            code=code,
            name=name,
            name_en=name_en,
            category=ServiceType.Category.FOLLOW_UP,
            segments=[],
            calendar=calendar,
            is_public=False,
            sort_order=sort_order,
        )
        MilestoneStandard.objects.bulk_create(
            MilestoneStandard(
                service_type=service_type,
                code=m_code,
                name=zh,
                name_en=en,
                amount=amount,
                unit=unit,
                met_on_status=status,
                sort_order=index * 10,
            )
            for index, (m_code, zh, en, amount, unit, status) in enumerate(milestones, start=1)
        )
        added["service_types"] += 1
    ruled = set(SurveyRule.objects.values_list("service_type_id", flat=True))
    rules = [
        SurveyRule(
            service_type=st,
            share_percent=default_share(st.category, is_emergency=st.is_emergency),
            is_called_back_when_expired=default_callback_when_expired(st.category, st.code),
        )
        for st in ServiceType.objects.exclude(pk__in=ruled)
    ]
    SurveyRule.objects.bulk_create(rules)
    added["rules"] = len(rules)
    return added
