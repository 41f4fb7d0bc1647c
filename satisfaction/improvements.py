"""Improvement actions (PDCA): open with a plan, mark done, check the effect, reopen with a new plan.

The plan's due date runs on the deadline engine: each action is an IMP-ACT ticket assigned to its
owner, its "complete" milestone set to the due date (warned at 80%, escalated when breached).
The check compares the measure for the 8 weeks before the action was marked done with the 8 weeks
after, for the same unit; the action is effective when the after value reaches the target.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import OrgUnit
from accounts.roles import is_supervisor
from accounts.validators import is_phone
from tickets import services as ticket_services
from tickets.models import Channel, ServiceType, Status, Ticket

from .measures import measure_value
from .models import SERVQUAL, ImprovementAction, ImprovementCheck, Measure
from .rules import LOCAL_TZ
from .seed import IMPROVEMENT_SERVICE_TYPE

WINDOW = dt.timedelta(weeks=8)
DUE_TIME = dt.time(17, 30)  # close of business on the due date
TARGET_RANGES = {
    Measure.COMPLAINTS_PER_10K: (Decimal(0), Decimal(10000)),
    Measure.ON_TIME_RATE: (Decimal(0), Decimal(100)),
    Measure.DIMENSION_SCORE: (Decimal(1), Decimal(5)),
}
ActionStatus = ImprovementAction.Status


def may_manage_improvements(user) -> bool:
    """Supervisors and managers open and check improvement actions."""
    return is_supervisor(user)


def root_cause_choices() -> list[tuple[str, str]]:
    from complaints.models import RootCause

    return list(RootCause.choices)


def windows(done_at: dt.datetime) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """(first, last) local dates of the 8 weeks before the day marked done, and of the 8 weeks from it."""
    day = timezone.localtime(done_at, LOCAL_TZ).date()
    return (day - WINDOW, day - dt.timedelta(days=1)), (day, day + WINDOW - dt.timedelta(days=1))


def before_and_after(action, *, now) -> dict:
    """The measure in both windows (the after window so far, when it is not over yet)."""
    if action.done_at is None:
        return {}
    (b_from, b_to), (a_from, a_to) = windows(action.done_at)
    today = timezone.localtime(now, LOCAL_TZ).date()
    common = {"measure": action.measure, "unit": action.org_unit, "subject": action.measure_subject}
    return {
        "before_from": b_from,
        "before_to": b_to,
        "after_from": a_from,
        "after_to": a_to,
        "before": measure_value(**common, start=b_from, end=b_to),
        "after": measure_value(**common, start=a_from, end=min(a_to, today)),
        "is_complete": today > a_to,
    }


def reaches_target(action, value: Decimal | None) -> bool:
    if value is None:
        return False
    return value <= action.target if action.lower_is_better else value >= action.target


def _clean(
    *,
    problem,
    source,
    source_detail,
    org_unit,
    owner,
    plan,
    due_date,
    measure,
    measure_subject,
    target,
    actor,
    now,
) -> dict:
    errors = {}
    if not may_manage_improvements(actor):
        raise ValidationError(_("Improvement actions are opened by supervisors and managers."))
    problem, plan = (problem or "").strip(), (plan or "").strip()
    if not problem:
        errors["problem"] = [_("Describe the problem.")]
    if not plan:
        errors["plan"] = [_("Describe the plan.")]
    if source == ImprovementAction.Source.ROOT_CAUSE:
        if source_detail not in dict(root_cause_choices()):
            errors["source_detail"] = [_("Choose the complaints' root cause.")]
    elif source == ImprovementAction.Source.DIMENSION:
        if source_detail not in SERVQUAL:
            errors["source_detail"] = [_("Choose the low-scoring dimension.")]
    else:
        errors["source"] = [_("Say where the problem was found.")]
    if org_unit is None or not OrgUnit.objects.visible_to(actor).filter(pk=org_unit.pk).exists():
        errors["org_unit"] = [_("Choose a unit of your part of the organisation.")]
    if owner is None or not owner.is_active or not hasattr(owner, "staff_profile"):
        errors["owner"] = [_("Choose an active staff member as owner.")]
    elif org_unit is not None and not OrgUnit.objects.visible_to(owner).filter(pk=org_unit.pk).exists():
        errors["owner"] = [_("The owner must work in that unit or above it.")]
    today = timezone.localtime(now, LOCAL_TZ).date()
    if due_date is None or due_date < today:
        errors["due_date"] = [_("Choose a due date from today on.")]
    elif due_date > today + dt.timedelta(days=366):
        errors["due_date"] = [_("Choose a due date within a year.")]
    errors.update(_measure_errors(measure, measure_subject))
    try:
        target = Decimal(str(target)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        target = None
    low, high = TARGET_RANGES.get(measure, (Decimal(0), Decimal(10000)))
    if target is None or not low <= target <= high:
        errors["target"] = [_("Give a target from %(low)s to %(high)s.") % {"low": low, "high": high}]
    if errors:
        raise ValidationError(errors)
    return {"problem": problem, "plan": plan, "target": target}


def _measure_errors(measure, subject) -> dict:
    from complaints.selectors import category_codes

    if measure == Measure.COMPLAINTS_PER_10K:
        if subject not in category_codes():
            return {"measure_subject": [_("Give a complaint category code.")]}
    elif measure == Measure.ON_TIME_RATE:
        if not ServiceType.objects.filter(code=subject).exists():
            return {"measure_subject": [_("Give a service type code, e.g. RPR-RES.")]}
    elif measure == Measure.DIMENSION_SCORE:
        if subject not in SERVQUAL:
            return {
                "measure_subject": [
                    _("Give a dimension: tangibles, reliability, responsiveness, assurance or empathy.")
                ]
            }
    else:
        return {"measure": [_("Choose what to measure.")]}
    return {}


def _contact_phone(owner, unit) -> str:
    for phone in ((unit.phone or "").replace(" ", ""), getattr(owner.staff_profile, "mobile", "")):
        if is_phone(phone):
            return phone
    raise ValidationError(
        {
            "owner": _(
                "Neither the unit nor the owner has a phone number on record; "
                "add one so the action can be followed up."
            )
        }
    )


def _due_at(due_date: dt.date) -> dt.datetime:
    return dt.datetime.combine(due_date, DUE_TIME, tzinfo=LOCAL_TZ)


def _set_due(ticket, due_date, *, actor, now, reason):
    milestone = ticket.milestones.get(code="complete")
    ticket_services.set_milestone_due(
        milestone=milestone, due_at=_due_at(due_date), actor=actor, now=now, reason=reason
    )


def open_improvement(
    *,
    problem,
    source,
    source_detail,
    org_unit,
    owner,
    plan,
    due_date,
    measure,
    measure_subject,
    target,
    actor,
    now,
) -> ImprovementAction:
    """Open an action: its ticket (assigned to the owner, due on the due date) and the plan."""
    clean = _clean(
        problem=problem,
        source=source,
        source_detail=source_detail,
        org_unit=org_unit,
        owner=owner,
        plan=plan,
        due_date=due_date,
        measure=measure,
        measure_subject=measure_subject,
        target=target,
        actor=actor,
        now=now,
    )
    phone = _contact_phone(owner, org_unit)
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        ticket = ticket_services.create_ticket(
            service_type=ServiceType.objects.get(code=IMPROVEMENT_SERVICE_TYPE),
            channel=Channel.FIELD,
            description=f"{clean['problem']}\n\n{_('Plan')}: {clean['plan']}",
            actor=actor,
            now=now,
            contact_name=owner.get_full_name() or owner.get_username(),
            contact_phone=phone,
            org_unit=org_unit,
        )
        _set_due(ticket, due_date, actor=actor, now=now, reason=_("Due date of the improvement action"))
        ticket = ticket_services.assign_ticket(ticket=ticket, assignee=owner, actor=actor, now=now)
        return ImprovementAction.objects.create(
            ticket=ticket,
            problem=clean["problem"],
            source=source,
            source_detail=source_detail,
            org_unit=org_unit,
            owner=owner,
            plan=clean["plan"],
            due_date=due_date,
            measure=measure,
            measure_subject=measure_subject,
            target=clean["target"],
            opened_at=now,
            opened_by=actor,
        )


def _locked(action) -> ImprovementAction:
    return (
        ImprovementAction.objects.select_for_update(of=("self",))
        .select_related("ticket", "org_unit")
        .get(pk=action.pk)
    )


def mark_done(*, action, actor, now) -> ImprovementAction:
    """The plan is carried out: the ticket is resolved (its deadline met) and the 8 weeks after begin."""
    with transaction.atomic():
        action = _locked(action)
        if action.status != ActionStatus.OPEN:
            raise ValidationError({"status": _("Only an action being carried out can be marked done.")})
        if actor != action.owner and not may_manage_improvements(actor):
            raise ValidationError({"status": _("The owner or a supervisor marks the action done.")})
        action.status, action.done_at = ActionStatus.CHECKING, now
        action.save(update_fields=["status", "done_at"])
        ticket = action.ticket
        if ticket.status == Status.WAITING_CUSTOMER:
            ticket = ticket_services.resume_ticket(ticket=ticket, actor=actor, now=now)
        if ticket.status in (Status.NEW, Status.ACCEPTED, Status.ASSIGNED):
            ticket = ticket_services.start_work(ticket=ticket, actor=actor, now=now)
        ticket_services.resolve_ticket(ticket=ticket, actor=actor, now=now)
    return action


def check_effect(*, action, actor, now, note="") -> ImprovementCheck:
    """After the 8 weeks: record before and after, close the action as effective or not effective."""
    if not may_manage_improvements(actor):
        raise ValidationError(_("Improvement actions are checked by supervisors and managers."))
    with transaction.atomic():
        action = _locked(action)
        if action.status != ActionStatus.CHECKING:
            raise ValidationError({"status": _("Mark the action done first.")})
        figures = before_and_after(action, now=now)
        if not figures["is_complete"]:
            raise ValidationError(
                {
                    "status": _("The 8 weeks after the action end on %(date)s; check it then.")
                    % {"date": figures["after_to"].isoformat()}
                }
            )
        effective = reaches_target(action, figures["after"])
        check = ImprovementCheck.objects.create(
            action=action,
            plan=action.plan,
            done_at=action.done_at,
            before_from=figures["before_from"],
            before_value=figures["before"],
            after_to=figures["after_to"],
            after_value=figures["after"],
            is_effective=effective,
            checked_at=now,
            checked_by=actor,
            note=(note or "").strip()[:2000],
        )
        action.status = ActionStatus.EFFECTIVE if effective else ActionStatus.NOT_EFFECTIVE
        action.closed_at = now
        action.save(update_fields=["status", "closed_at"])
        ticket = Ticket.objects.get(pk=action.ticket_id)
        if ticket.status == Status.RESOLVED:
            ticket_services.close_ticket(ticket=ticket, actor=actor, now=now)
    return check


def reopen_with_new_plan(*, action, plan, due_date, actor, now) -> ImprovementAction:
    """A not-effective action starts again: a new plan and due date, the same measure and target."""
    if not may_manage_improvements(actor):
        raise ValidationError(_("Improvement actions are reopened by supervisors and managers."))
    plan = (plan or "").strip()
    errors = {}
    if not plan:
        errors["plan"] = [_("Describe the new plan.")]
    today = timezone.localtime(now, LOCAL_TZ).date()
    if due_date is None or due_date < today:
        errors["due_date"] = [_("Choose a due date from today on.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        action = _locked(action)
        if action.status != ActionStatus.NOT_EFFECTIVE:
            raise ValidationError({"status": _("Only a not-effective action is reopened with a new plan.")})
        ticket = ticket_services.reopen_ticket(
            ticket=action.ticket, actor=actor, now=now, reason=_("New plan after an ineffective check")
        )
        _set_due(ticket, due_date, actor=actor, now=now, reason=_("Due date of the new plan"))
        action.plan, action.due_date, action.status = plan, due_date, ActionStatus.OPEN
        action.done_at = action.closed_at = None
        action.save(update_fields=["plan", "due_date", "status", "done_at", "closed_at"])
    return action
