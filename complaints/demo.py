"""Demo complaints for `manage.py seed_demo` (connected to accounts.signals.demo_seeded).

About 40 complaints made with the real service functions on a clock moved back in time, in
every step (received, acknowledged, investigated, answered, closed, reopened), with a few
repeat chains and 12345 orders, so that the worklist and the figures have something to show.
"""

import datetime
import logging
import random

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from accounts.models import Customer, OrgUnit
from accounts.roles import ROLES_SEEING_ALL

from . import services
from .models import Complaint, ComplaintCategory, Remedy, RootCause, Severity, Source
from .seed import seed_complaint_categories

logger = logging.getLogger(__name__)

DEMO_COUNT = 40
TEXTS = [
    ("billing.late_fee", "因出差未能按时缴费，请求减免违约金"),
    ("billing.arrears_dispute", "账单显示欠费但我已缴清"),
    (
        "billing.owner_change_arrears",
        "过户后被要求缴纳前房主欠费",
    ),
    ("service.attitude", "营业厅工作人员态度差"),
    ("service.valve_refused", "安装不合规被拒绝开阀，未说明原因"),
    ("pipe.relocation_fee", "管道迁改收费过高"),
    ("pipe.emergency_cut_no_notice", "抢修停气没有提前通知"),
    ("supply", "燃气压力不足，灶具火小"),
    ("safety", "楼道燃气管道锈蚀严重"),
    ("other", "客服热线长时间无人接听"),
]


def _agent():
    users = get_user_model().objects.filter(is_active=True, staff_profile__role__in=ROLES_SEEING_ALL)
    return users.select_related("staff_profile__org_unit").first()


def seed_demo_complaints(*, now, count=DEMO_COUNT) -> int:
    """Create the demo complaints once (skipped when complaints exist or nobody can handle them)."""
    seed_complaint_categories()
    if Complaint.objects.exists() or not OrgUnit.objects.exists():
        return 0
    agent = _agent()
    if agent is None:
        return 0
    rng = random.Random(6)
    customers = list(Customer.objects.select_related("category", "outlet").order_by("pk")[:200])
    categories = {c.code: c for c in ComplaintCategory.objects.select_related("parent")}
    units = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.OUTLET))
    created = 0
    for i in range(count):
        code, text = TEXTS[i % len(TEXTS)]
        chosen = categories[code]
        category, sub = (chosen.parent, chosen) if chosen.parent_id else (chosen, None)
        # Every fifth complaint repeats an earlier complainant: repeat chains for the supervisor.
        customer = customers[(i // 5) if i % 5 == 4 else i % len(customers)] if customers else None
        source = rng.choice(
            [Source.WEB, Source.SERVICE_HALL, Source.HOTLINE, Source.HOTLINE, Source.CITY_HOTLINE]
        )
        at = now - datetime.timedelta(days=rng.randint(0, 120), hours=rng.randint(0, 8))
        try:
            complaint = services.file_complaint(
                source=source,
                category=category,
                sub_category=sub,
                description=text,
                severity=rng.choice([Severity.LOW, Severity.MEDIUM, Severity.MEDIUM, Severity.HIGH]),
                complainant_name=customer.name if customer else f"投诉人{i}",
                complainant_phone=customer.mobile if customer and customer.mobile else f"139{i:08d}",
                complainant_address=customer.address if customer else "",
                customer=customer,
                consent_at=at,
                actor=None if source == Source.WEB else agent,
                now=at,
                hotline_order_no=f"12345-{at:%Y%m%d}-{i:04d}" if source == Source.CITY_HOTLINE else "",
                hotline_due_at=at + datetime.timedelta(days=2) if source == Source.CITY_HOTLINE else None,
            )
            step = rng.randint(0, 5)
            t = at + datetime.timedelta(hours=rng.randint(1, 30))
            if step >= 1 and t < now:
                complaint = services.acknowledge_complaint(complaint=complaint, actor=agent, now=t)
            if (
                step >= 2
                and complaint.acknowledged_at
                and (t := t + datetime.timedelta(hours=rng.randint(2, 40))) < now
            ):
                complaint = services.record_investigation(
                    complaint=complaint,
                    findings="核实情况属实",
                    is_substantiated=bool(units) and i % 3 != 0,
                    root_cause=rng.choice(RootCause.values),
                    department_at_fault=rng.choice(units) if units else None,
                    actor=agent,
                    now=t,
                )
            if (
                step >= 3
                and complaint.acknowledged_at
                and (t := t + datetime.timedelta(hours=rng.randint(2, 60))) < now
            ):
                complaint = services.respond_to_complaint(
                    complaint=complaint,
                    response_text="您好，经核实已为您处理，感谢您的监督。/ We have put it right; "
                    "thank you for telling us.",
                    remedy=rng.choice([Remedy.APOLOGY, Remedy.CORRECTION]),
                    actor=agent,
                    now=t,
                )
            if step >= 4 and complaint.responded_at and (t := t + datetime.timedelta(days=1)) < now:
                if step == 5 and i % 2:
                    services.reopen_complaint(
                        complaint=complaint, reason="用户对答复不满意", actor=agent, now=t
                    )
                else:
                    services.close_complaint(complaint=complaint, customer_accepted=True, actor=agent, now=t)
            created += 1
        except ValidationError as exc:
            logger.warning("demo complaint %d skipped: %s", i, exc)
    logger.info("demo complaints created: %d", created)
    return created
