"""Satisfaction pages: the customer's answer page (public), the callback queue and call form, the
recoveries, the figures and the answers behind them.

Thin: forms carry the input, services make every change, selectors do the reading.
"""

import datetime as dt
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from accounts.roles import is_service_staff, is_supervisor, may_see_full_personal_data
from accounts.services import record_personal_data_view
from gasservice.forms import apply_service_errors
from tickets import selectors as ticket_selectors
from tickets.models import TicketEvent
from tickets.timeline import timeline_rows

from . import improvements as improvement_services
from . import selectors, services
from .forms import (
    CallbackForm,
    FiguresForm,
    ImprovementForm,
    NewPlanForm,
    QuestionnaireForm,
    RecoveryCloseForm,
)
from .models import CallbackAttempt, Dimension, ImprovementAction, Measure, Survey
from .rules import SATISFACTION_TARGET

logger = logging.getLogger(__name__)

# The answer page is limited like the public complaint form (django-ratelimit syntax).
DEFAULT_RATES = {"ip": "20/h", "link": "10/h"}
LINK_ERROR_STATUS = {"forged": 400, "expired": 410, "used": 409, "withdrawn": 410, "closed": 410}


def _rate(name: str) -> str:
    return getattr(settings, "SATISFACTION_RATES", {}).get(name, DEFAULT_RATES[name])


def _limited(request, *, group: str, key, rate: str) -> bool:
    """Count one attempt; True when over the rate. A cache outage lets the answer through (logged)."""
    try:
        return is_ratelimited(request, group=group, key=key, rate=rate, increment=True)
    except Exception:  # the cache (Redis) is down: accept the answer rather than lose it
        logger.warning("rate limit cache unavailable for %s", group, exc_info=True)
        return False


# ---------------------------------------------------------------- the customer's page (no login)


def answer(request, token):
    """The SMS link: the questionnaire on a phone, without JavaScript; one answer per link."""
    try:
        survey = services.survey_for_token(token, now=timezone.now())
    except services.SurveyLinkError as exc:
        return render(
            request,
            "satisfaction/link_error.html",
            {"message": exc.messages[0]},
            status=LINK_ERROR_STATUS.get(exc.code, 400),
        )
    questions = services.active_questions()
    if request.method != "POST":
        form = QuestionnaireForm(questions=questions, case_reference=survey.ticket.reference)
        return render(request, "satisfaction/answer.html", {"form": form, "survey": survey})
    if _limited(request, group="satisfaction.answer.ip", key="ip", rate=_rate("ip")) or _limited(
        request, group="satisfaction.answer.link", key=lambda group, req: token[:40], rate=_rate("link")
    ):
        return render(request, "satisfaction/too_many.html", status=429)
    form = QuestionnaireForm(request.POST, questions=questions, case_reference=survey.ticket.reference)
    form.is_valid()
    try:
        services.answer_survey(
            survey=survey, **form.answer(), case_reference=request.POST.get("case", ""), now=timezone.now()
        )
    except services.SurveyLinkError as exc:
        return render(
            request,
            "satisfaction/link_error.html",
            {"message": exc.messages[0]},
            status=LINK_ERROR_STATUS.get(exc.code, 400),
        )
    except ValidationError as exc:
        form.apply_errors(exc.message_dict)
        return render(request, "satisfaction/answer.html", {"form": form, "survey": survey}, status=400)
    survey.refresh_from_db()
    recovered = hasattr(survey, "recovery")
    return render(request, "satisfaction/thanks.html", {"survey": survey, "recovered": recovered})


# ---------------------------------------------------------------- staff pages


def _require_staff(user) -> None:
    """Follow-up calls and recoveries are service staff's work (field technicians excepted)."""
    if not is_service_staff(user):
        raise PermissionDenied(_("Follow-ups are handled by service staff."))


@login_required
def callbacks(request):
    """The callback queue: cases to call, nearest deadline first (SVY-CB: 3 days after closure)."""
    _require_staff(request.user)
    page = Paginator(selectors.callback_queue(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "satisfaction/callbacks.html", {"page": page, "now": timezone.now()})


def _survey_or_404(user, reference) -> Survey:
    survey = selectors.survey_for(user, reference[:40])
    if survey is None:
        raise Http404(_("No follow-up for this case."))
    return survey


def _survey_page(request, survey, *, form=None, status=200):
    reveal = request.GET.get("reveal") == "1" and may_see_full_personal_data(request.user)
    if reveal and survey.phone:
        record_personal_data_view(
            user=request.user,
            fields=["contact_phone"],
            subject=survey.ticket.reference,
            ip=request.META.get("REMOTE_ADDR"),
        )
    questions = services.active_questions()
    context = {
        "survey": survey,
        "attempts": survey.attempts.select_related("by"),
        "form": form or CallbackForm(questions=questions, case_reference=survey.ticket.reference),
        "reveal": reveal,
        "may_reveal": may_see_full_personal_data(request.user),
        "recovery": getattr(survey, "recovery", None),
        "answer_rows": _answer_rows(survey, questions),
    }
    return render(request, "satisfaction/survey.html", context, status=status)


def _answer_rows(survey, questions):
    if survey.state != Survey.State.ANSWERED:
        return []
    return [(q, survey.overall if q.code == "OV" else survey.scores.get(q.code)) for q in questions]


@login_required
def survey_detail(request, reference):
    _require_staff(request.user)
    return _survey_page(request, _survey_or_404(request.user, reference))


@login_required
@require_POST
def survey_callback(request, reference):
    """Record one call: its outcome, and the answers when the customer took the survey."""
    _require_staff(request.user)
    survey = _survey_or_404(request.user, reference)
    form = CallbackForm(request.POST, questions=services.active_questions(), case_reference=reference)
    form.is_valid()
    outcome = request.POST.get("outcome", "")
    try:
        services.record_callback(
            survey=survey,
            outcome=outcome,
            actor=request.user,
            now=timezone.now(),
            note=request.POST.get("note", ""),
            answer=form.answer() if outcome == CallbackAttempt.Outcome.ANSWERED else None,
        )
    except ValidationError as exc:
        form.apply_errors(exc.message_dict)
        return _survey_page(request, survey, form=form, status=400)
    survey.refresh_from_db()
    messages.success(request, _("Call recorded: %(state)s.") % {"state": survey.get_state_display()})
    return redirect("satisfaction:survey", reference=survey.ticket.reference)


@login_required
def recoveries(request):
    _require_staff(request.user)
    open_only = request.GET.get("open") == "1"
    page = Paginator(selectors.recoveries_for(request.user, open_only=open_only), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "satisfaction/recoveries.html", {"page": page, "open_only": open_only})


def _recovery_or_404(user, reference):
    recovery = selectors.recovery_for(user, reference[:40])
    if recovery is None:
        raise Http404(_("No such service recovery."))
    return recovery


def _recovery_page(request, recovery, *, form=None, status=200):
    survey = recovery.survey
    questions = services.active_questions()
    events = timeline_rows(
        recovery.ticket,
        ticket_selectors.timeline(recovery.ticket).filter(
            kind__in=[
                TicketEvent.Kind.NOTE,
                TicketEvent.Kind.STATUS,
                TicketEvent.Kind.ASSIGNED,
                TicketEvent.Kind.ESCALATED,
                TicketEvent.Kind.REPLY,
            ],
        ),
    )
    context = {
        "recovery": recovery,
        "survey": survey,
        "ticket": recovery.ticket,
        "original": recovery.original,
        "answer_rows": _answer_rows(survey, questions),
        "events": events,
        "milestones": recovery.ticket.milestones.order_by("sort_order"),
        "form": form or RecoveryCloseForm(),
        "may_close": _may_close(request.user, recovery),
        "reason_labels": [str(services.REASON_TEXT[r]) for r in recovery.reasons],
    }
    return render(request, "satisfaction/recovery.html", context, status=status)


def _may_close(user, recovery) -> bool:
    return recovery.closed_at is None and (is_supervisor(user) or recovery.ticket.assignee_id == user.pk)


@login_required
def recovery_detail(request, reference):
    _require_staff(request.user)
    return _recovery_page(request, _recovery_or_404(request.user, reference))


@login_required
@require_POST
def recovery_close(request, reference):
    """Close the recovery: what was done, and whether the customer is now satisfied."""
    _require_staff(request.user)
    recovery = _recovery_or_404(request.user, reference)
    if not _may_close(request.user, recovery) and recovery.closed_at is None:
        raise PermissionDenied(_("A recovery is closed by its supervisor."))
    form = RecoveryCloseForm(request.POST)
    if not form.is_valid():
        return _recovery_page(request, recovery, form=form, status=400)
    try:
        services.close_recovery(
            recovery=recovery,
            action_taken=form.cleaned_data["action_taken"],
            is_customer_satisfied=form.cleaned_data["now_satisfied"] == "yes",
            actor=request.user,
            now=timezone.now(),
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(
                    "now_satisfied"
                    if field == "is_customer_satisfied"
                    else (field if field in form.fields else None),
                    error,
                )
        return _recovery_page(request, recovery, form=form, status=400)
    messages.success(request, _("Recovery %(reference)s closed.") % {"reference": recovery.reference})
    return redirect("satisfaction:recovery", reference=recovery.reference)


def _require_supervisor(user) -> None:
    if not is_supervisor(user):
        raise PermissionDenied(_("The satisfaction figures are for supervisors and managers."))


@login_required
def figures(request):
    """The rates and scores per outlet, branch, service type, handler or month, against the target."""
    _require_supervisor(request.user)
    today = timezone.localdate()
    form = FiguresForm(
        request.GET or None,
        user=request.user,
        today=today,
        initial={"start": today - dt.timedelta(days=90), "end": today, "group_by": "outlet"},
    )
    scope = form.scope()
    common = {"user": request.user, "scope": scope["scope"], "start": scope["start"], "end": scope["end"]}
    page = selectors.figures_page(**common, group_by=scope["group_by"])
    total, rows = page["total"], page["rows"]
    for row in rows:
        row["recovery"] = page["recovery_rows"].get(row["key"])
    drill = {
        "unit": scope["scope"].code if scope["scope"] else "",
        "start": scope["start"].isoformat(),
        "end": scope["end"].isoformat(),
        "group_by": scope["group_by"],
    }
    return render(
        request,
        "satisfaction/figures.html",
        {
            "form": form,
            "total": total,
            "rows": rows,
            "scope": scope,
            "drill": drill,
            "recovery_total": page["recovery_total"],
            "worst": page["worst"],
            "target": SATISFACTION_TARGET,
            "dimensions": [Dimension(d).label for d in total["scores"]],
            "dimension_rows": sorted(
                ((d, Dimension(d).label, score) for d, score in total["scores"].items() if score is not None),
                key=lambda row: row[2],
            ),
            "may_open_improvement": improvement_services.may_manage_improvements(request.user),
            "improvements": selectors.improvement_actions(user=request.user, scope=scope["scope"])[:20],
        },
    )


@login_required
def answers(request):
    """The surveys behind a figure (drill-down); phones masked."""
    _require_supervisor(request.user)
    form = FiguresForm(request.GET or None, user=request.user, today=timezone.localdate())
    scope = form.scope()
    group_by = request.GET.get("group_by") or None
    qs = selectors.answers_behind(
        user=request.user,
        scope=scope["scope"],
        start=scope["start"],
        end=scope["end"],
        group_by=group_by,
        key=request.GET.get("key", "")[:40],
        state=request.GET.get("state", "")[:20],
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "satisfaction/answers.html",
        {
            "page": page,
            "scope": scope,
            "key": request.GET.get("key", ""),
            "state": request.GET.get("state", ""),
            "query": query.urlencode(),
            "figures_url": f"{reverse('satisfaction:figures')}?{query.urlencode()}",
        },
    )


# ---------------------------------------------------------------- improvement actions (PDCA)


@login_required
def improvements(request):
    """Improvement actions of the viewer's subtree, with their before/after once checked."""
    _require_staff(request.user)
    actions = (
        ImprovementAction.objects.visible_to(request.user)
        .select_related("ticket", "org_unit", "owner")
        .prefetch_related("checks")
        .order_by("-opened_at")
    )
    page = Paginator(actions, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "satisfaction/improvements.html",
        {"page": page, "may_open": improvement_services.may_manage_improvements(request.user)},
    )


@login_required
def improvement_new(request):
    if not improvement_services.may_manage_improvements(request.user):
        raise PermissionDenied(_("Improvement actions are opened by supervisors and managers."))
    form = ImprovementForm(
        request.POST or None,
        user=request.user,
        initial={
            "source": request.GET.get("source", ""),
            "dimension": request.GET.get("dimension", ""),
            "measure": request.GET.get("measure", ""),
            "measure_subject": request.GET.get("subject", "")[:40],
            "org_unit": request.GET.get("unit", "")[:20],
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            action = improvement_services.open_improvement(
                **form.service_kwargs(), actor=request.user, now=timezone.now()
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request, _("Improvement action %(reference)s opened.") % {"reference": action.reference}
            )
            return redirect("satisfaction:improvement", reference=action.reference)
    status = 400 if request.method == "POST" else 200
    return render(request, "satisfaction/improvement_new.html", {"form": form}, status=status)


def _form_errors(form, exc: ValidationError) -> None:
    """An improvement's source detail is the field the chosen source shows: root cause or dimension."""
    detail = "root_cause" if form.data.get("source") == "root_cause" else "dimension"
    apply_service_errors(form, exc, fields={"source_detail": detail})


def _improvement_or_404(user, reference):
    action = (
        ImprovementAction.objects.visible_to(user)
        .filter(ticket__reference=reference[:40])
        .select_related("ticket", "org_unit", "owner")
        .first()
    )
    if action is None:
        raise Http404(_("No such improvement action."))
    return action


def _improvement_page(request, action, *, plan_form=None, error="", status=200):
    now = timezone.now()
    return render(
        request,
        "satisfaction/improvement.html",
        {
            "action": action,
            "ticket": action.ticket,
            "figures": improvement_services.before_and_after(action, now=now),
            "checks": action.checks.select_related("checked_by"),
            "milestone": action.ticket.milestones.filter(code="complete").first(),
            "may_manage": improvement_services.may_manage_improvements(request.user),
            "is_owner": action.owner_id == request.user.pk,
            "plan_form": plan_form or NewPlanForm(),
            "error": error,
            "measure_label": Measure(action.measure).label,
        },
        status=status,
    )


@login_required
def improvement_detail(request, reference):
    _require_staff(request.user)
    return _improvement_page(request, _improvement_or_404(request.user, reference))


@login_required
@require_POST
def improvement_step(request, reference, step):
    """done (owner or supervisor), check (after the 8 weeks), replan (a not-effective action)."""
    _require_staff(request.user)
    action = _improvement_or_404(request.user, reference)
    now = timezone.now()
    plan_form = None
    try:
        if step == "done":
            improvement_services.mark_done(action=action, actor=request.user, now=now)
        elif step == "check":
            improvement_services.check_effect(
                action=action, actor=request.user, now=now, note=request.POST.get("note", "")
            )
        elif step == "replan":
            plan_form = NewPlanForm(request.POST)
            if not plan_form.is_valid():
                return _improvement_page(request, action, plan_form=plan_form, status=400)
            improvement_services.reopen_with_new_plan(
                action=action,
                plan=plan_form.cleaned_data["plan"],
                due_date=plan_form.cleaned_data["due_date"],
                actor=request.user,
                now=now,
            )
        else:
            raise Http404
    except ValidationError as exc:
        if plan_form is not None and hasattr(exc, "error_dict"):
            _form_errors(plan_form, exc)
            return _improvement_page(request, action, plan_form=plan_form, status=400)
        return _improvement_page(request, action, error=" ".join(exc.messages), status=400)
    return redirect("satisfaction:improvement", reference=action.reference)
