"""Demo follow-ups (manage.py seed_demo): answers to the demo's surveys, calls, recoveries, an
improvement action. Runs after the tickets' demo (whose closed cases already have their surveys).

Idempotent: once any demo answer exists, nothing more is added.
"""

import datetime
import logging
import random

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import OrgUnit

from . import improvements, services
from .models import ImprovementAction, Question, Survey

logger = logging.getLogger(__name__)

DEMO_OUTLET = "OUT01"  # the demo supervisor's outlet: one recovery stays open for them


def _scores(rng, *, unhappy: bool) -> dict:
    codes = [q.code for q in Question.objects.filter(is_active=True).exclude(code="OV")]
    if unhappy:
        return {code: rng.choice([1, 2, 3]) if code.startswith("R") else rng.choice([3, 4]) for code in codes}
    return {code: None if code == "T2" and rng.random() < 0.3 else rng.choice([4, 5, 5]) for code in codes}


@transaction.atomic
def seed_demo_surveys(*, now) -> dict:
    """Answer the demo's SMS surveys (about one in five unhappy: a recovery each), call back, close
    one recovery, open an improvement action at the demo outlet."""
    added = {"answers": 0, "callback_cases": 0, "calls": 0, "recoveries_closed": 0, "improvements": 0}
    if Survey.objects.filter(state=Survey.State.ANSWERED).exists():
        return added
    rng = random.Random(13)
    users = {
        u.username: u
        for u in get_user_model()
        .objects.filter(username__in=["agent", "supervisor", "technician", "centremgr"])
        .select_related("staff_profile")
    }
    pending = list(
        Survey.objects.filter(state=Survey.State.PENDING, method=Survey.Method.SMS)
        .select_related("org_unit")
        .order_by("case_closed_at", "id")
    )
    # One unhappy answer at the demo outlet (else the first), so a recovery is waiting.
    first_here = next((s for s in pending if s.org_unit.code == DEMO_OUTLET), pending[0] if pending else None)
    for survey in pending:
        unhappy = survey is first_here or rng.random() < 0.2
        at = min(survey.created_at + datetime.timedelta(minutes=rng.randint(10, 600)), now)
        overall = rng.choice([1, 2]) if unhappy else rng.choice([4, 5, 5, 5])
        services.answer_survey(
            survey=survey,
            scores=_scores(rng, unhappy=unhappy),
            overall=overall,
            is_solved=not unhappy or rng.random() < 0.5,
            comment="师傅迟到了两个小时，也没提前打电话" if unhappy else "",
            now=at,
        )
        added["answers"] += 1
    agent = users.get("agent")
    added["callback_cases"] = _demo_callback_cases(users, now=now)
    services.open_callback_tickets(now=now)  # as the worker does once the closures commit
    callbacks = list(
        Survey.objects.filter(state=Survey.State.PENDING, method=Survey.Method.CALLBACK).order_by(
            "case_closed_at", "id"
        )[:2]
    )
    for survey, outcome in zip(callbacks, ["no_answer", "refused"], strict=False):
        at = min(survey.created_at + datetime.timedelta(hours=2), now)
        services.record_callback(survey=survey, outcome=outcome, actor=agent, now=at, note="")
        added["calls"] += 1
    closable = (
        Survey.objects.filter(recovery__isnull=False, recovery__closed_at__isnull=True)
        .exclude(pk=getattr(first_here, "pk", None))
        .select_related("recovery__ticket__assignee")
        .first()
    )
    if closable is not None:
        closer = closable.recovery.ticket.assignee or users.get("centremgr")
        services.close_recovery(
            recovery=closable.recovery,
            action_taken="主管致电道歉，重新上门检修，客户表示认可",
            is_customer_satisfied=True,
            actor=closer,
            now=now,
        )
        added["recoveries_closed"] += 1
    added["improvements"] = _demo_improvement(users, now=now)
    logger.info("satisfaction demo: %s", added)
    return added


def _demo_callback_cases(users, *, now, wanted: int = 3) -> int:
    """Enquiries answered on the phone for customers with only a landline, closed today: they wait in
    the callback queue (a 30% sample of them, so up to 20 are taken to find `wanted`)."""
    from accounts.models import Customer
    from tickets import services as ticket_services
    from tickets.models import Channel, ServiceType

    desk = users.get("agent")
    if desk is None:
        return 0
    repair = ServiceType.objects.get(code="ENQ")
    customers = (
        Customer.objects.filter(
            mobile="",
            category__segment="residential",
            status=Customer.Status.ACTIVE,
        )
        .exclude(landline="")
        .select_related("outlet")
        .order_by("outlet__code", "account_no")
    )
    made = 0
    for index, customer in enumerate(customers[:20]):
        at = now - datetime.timedelta(hours=5, minutes=7 * index)
        ticket = ticket_services.create_ticket(
            service_type=repair,
            channel=Channel.HOTLINE,
            customer=customer,
            description="咨询阶梯气价和采暖季计费",
            actor=desk,
            now=at,
        )
        ticket = ticket_services.assign_ticket(ticket=ticket, assignee=desk, actor=desk, now=at)
        for step in (
            ticket_services.start_work,
            ticket_services.resolve_ticket,
            ticket_services.close_ticket,
        ):
            ticket = step(ticket=ticket, actor=desk, now=at + datetime.timedelta(hours=2))
        made += Survey.objects.filter(ticket=ticket, method=Survey.Method.CALLBACK).count()
        if made >= wanted:
            break
    return made


def _demo_improvement(users, *, now) -> int:
    outlet = OrgUnit.objects.filter(code=DEMO_OUTLET).first()
    supervisor, technician = users.get("supervisor"), users.get("technician")
    if outlet is None or supervisor is None or technician is None or ImprovementAction.objects.exists():
        return 0
    try:
        improvements.open_improvement(
            problem="回访显示“按约定时间到达”得分偏低，客户反映上门迟到",
            source="dimension",
            source_detail="reliability",
            org_unit=outlet,
            owner=technician,
            plan="每日排班预留一名机动人员；预计迟到时提前三十分钟致电客户",
            measure="dimension_score",
            measure_subject="reliability",
            target="4.50",
            due_date=(now + datetime.timedelta(days=21)).date(),
            actor=supervisor,
            now=now,
        )
    except ValidationError:
        logger.warning("satisfaction demo: the improvement action could not be opened", exc_info=True)
        return 0
    return 1
