"""Every state change of a follow-up: create on closure, withdraw on reopening, answer, call back,
recover.

Each function takes keyword arguments and the clock (`now=`), writes in one transaction and
raises ValidationError with a field dict and a message a customer or clerk can read. Tickets
(callback and recovery tickets) change only through tickets.services.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import OrganisationProfile, OrgUnit, StaffProfile
from accounts.roles import Role
from accounts.validators import is_mobile
from gasservice.bulk_sql import insert_rows
from notifications.tasks import enqueue_on_commit
from tickets import hooks as ticket_hooks
from tickets import services as ticket_services
from tickets.models import Channel, Priority, ServiceType, Status, Ticket, TicketEvent

from . import outbox, rules, timeline
from .models import (
    DUE_STATES,
    OVERALL_CODE,
    SCORE_MAX,
    SCORE_MIN,
    SERVQUAL,
    CallbackAttempt,
    ItemScoreDay,
    Question,
    Recovery,
    Survey,
    SurveyRule,
)
from .seed import CALLBACK_SERVICE_TYPE, RECOVERY_SERVICE_TYPE

logger = logging.getLogger(__name__)

TOKEN_SALT = "satisfaction.survey-link"
COMMENT_MAX = 1000
FOLLOW_UP = ServiceType.Category.FOLLOW_UP
State = Survey.State
Outcome = CallbackAttempt.Outcome


class SurveyLinkError(ValidationError):
    """The link cannot be used (forged, expired, used, withdrawn); `code` says which."""


# ---------------------------------------------------------------- who is surveyed (on closure)


def _mobile(ticket) -> str:
    if is_mobile(ticket.contact_phone):
        return ticket.contact_phone
    if ticket.customer_id and ticket.customer.mobile:
        return ticket.customer.mobile
    return ""


def _callback_phone(ticket) -> str:
    if ticket.contact_phone:
        return ticket.contact_phone
    if ticket.customer_id:
        return ticket.customer.landline or ticket.customer.mobile
    return ""


def _shares(service_types) -> dict[int, int]:
    by_id = {st.pk: st for st in service_types}
    shares = {st.pk: rules.default_share(st.category, is_emergency=st.is_emergency) for st in by_id.values()}
    shares.update(
        SurveyRule.objects.filter(service_type_id__in=by_id).values_list("service_type_id", "share_percent")
    )
    return shares


def _recently_surveyed(tickets, phones: dict[int, str], now) -> tuple[set, set]:
    """Customers and phones with a due survey in the last 30 days (two queries for the batch)."""
    since = now - dt.timedelta(days=rules.RECENT_SURVEY_DAYS)
    recent = Survey.objects.filter(state__in=DUE_STATES, created_at__gte=since)
    customer_ids = {t.customer_id for t in tickets if t.customer_id}
    customers = (
        set(recent.filter(customer_id__in=customer_ids).values_list("customer_id", flat=True))
        if customer_ids
        else set()
    )
    walk_in = {p for t in tickets if not t.customer_id and (p := phones[t.pk])}
    numbers = set(recent.filter(phone__in=walk_in).values_list("phone", flat=True)) if walk_in else set()
    return customers, numbers


def survey_link(survey, *, base: str = "") -> str:
    """The signed link of an SMS survey; `base` (answer_url_base()) saves resolving the URL per survey."""
    token = signing.dumps(survey.pk, salt=TOKEN_SALT)
    return (base or answer_url_base()).replace(LINK_PLACEHOLDER, token)


LINK_PLACEHOLDER = "TOKEN"


def answer_url_base() -> str:
    path = reverse("satisfaction_public:answer", args=[LINK_PLACEHOLDER])
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


@dataclass(frozen=True, slots=True)
class NewSurvey:
    """What create_surveys wrote for one case (the rows go in bulk, not as model instances)."""

    pk: int
    ticket_id: int
    state: str
    method: str
    phone: str


# Columns every new survey row has the same value in (no answer yet): sent once per batch.
_UNANSWERED = {
    "scores": {},
    "overall": None,
    "is_solved": None,
    "comment": "",
    "lowest_score": None,
    "callback_ticket_id": None,
    "outcome_at": None,
    "outcome_by_id": None,
    **{f"{d}_{part}": 0 for d in SERVQUAL for part in ("sum", "n")},
}


def create_surveys(*, tickets, now) -> list[NewSurvey]:
    """The follow-up of closed cases, in batches: one row per case (not-due ones with the reason).

    A case whose customer has a mobile gets an SMS link (sent 09:00-20:00); the others go to the
    callback queue: an SVY-CB ticket each (the deadline engine watches the 3 days), opened by the
    worker once this commits (open_callback_tickets). A constant number of queries per batch.
    Cases with a current survey already (closed again after reopening an answered case) are skipped.
    """
    tickets = [t for t in tickets if t.service_type.category != FOLLOW_UP]
    if not tickets:
        return []
    already = set(
        Survey.objects.filter(ticket_id__in=[t.pk for t in tickets])
        .exclude(state=State.WITHDRAWN)
        .values_list("ticket_id", flat=True)
    )
    tickets = [t for t in tickets if t.pk not in already]
    shares = _shares({t.service_type for t in tickets})
    mobiles = {t.pk: _mobile(t) for t in tickets}
    phones = {t.pk: mobiles[t.pk] or _callback_phone(t) for t in tickets}
    recent_customers, recent_phones = _recently_surveyed(tickets, phones, now)
    expires_at = now + dt.timedelta(days=rules.TOKEN_DAYS)
    rows = []
    for t in sorted(tickets, key=lambda t: (t.closed_at or now, t.pk)):
        if t.customer_id:
            recent = t.customer_id in recent_customers
        else:
            recent = bool(phones[t.pk]) and phones[t.pk] in recent_phones
        exclusion = rules.exclusion_for(
            reference=t.reference,
            share_percent=shares[t.service_type_id],
            is_cancelled=t.status == Status.CANCELLED,
            recently_surveyed=recent,
        )
        state, method, sms_expires_at = State.NOT_DUE, Survey.Method.NONE, None
        if not exclusion:
            # The same customer twice in one batch: the first case is surveyed, not the second.
            if t.customer_id:
                recent_customers.add(t.customer_id)
            elif phones[t.pk]:
                recent_phones.add(phones[t.pk])
            state = State.PENDING
            if mobiles[t.pk]:
                method, sms_expires_at = Survey.Method.SMS, expires_at
            else:
                method = Survey.Method.CALLBACK
        rows.append(
            {
                "ticket_id": t.pk,
                "customer_id": t.customer_id,
                "phone": phones[t.pk],
                "org_unit_id": t.org_unit_id,
                "service_type_id": t.service_type_id,
                "handler_id": t.assignee_id,
                "case_closed_at": t.closed_at or now,
                "state": state.value,
                "method": method.value,
                "exclusion": exclusion,
                "sms_expires_at": sms_expires_at,
            }
        )
    # One INSERT for the batch (rows as one JSON document: far cheaper to build and parse than
    # bulk_create's VALUES parameters).
    ids = dict(
        (ticket_id, pk)
        for pk, ticket_id in insert_rows(
            Survey, rows, shared={**_UNANSWERED, "created_at": now}, returning=("id", "ticket_id")
        )
    )
    surveys = [
        NewSurvey(
            pk=ids[r["ticket_id"]],
            ticket_id=r["ticket_id"],
            state=r["state"],
            method=r["method"],
            phone=r["phone"],
        )
        for r in rows
    ]
    sms = [s for s in surveys if s.method == Survey.Method.SMS]
    by_pk = {t.pk: t for t in tickets}
    # The texts point at each case's own page: what the kinds read is loaded once for the batch.
    ticket_hooks.prefetch_kind_data([by_pk[s.ticket_id] for s in sms])
    send_at = rules.sms_send_at(now)
    company = OrganisationProfile.current().signature
    base = answer_url_base()
    outbox.queue_customer_sms(
        [
            {
                "ticket": by_pk[s.ticket_id],
                "phone": s.phone,
                "send_at": send_at,
                "link": survey_link(s, base=base),
                "company": company,
            }
            for s in sms
        ],
        now=now,
    )
    callbacks = [s.pk for s in surveys if s.method == Survey.Method.CALLBACK]
    if callbacks:
        from .tasks import open_callback_tickets as open_task

        enqueue_on_commit(open_task, callbacks if len(callbacks) <= 1000 else None)
    return surveys


def open_callback_tickets(*, now, ids=None, limit: int = 200) -> int:
    """SVY-CB tickets for phone follow-ups that have none yet, received at the case's closure, or when
    the unanswered SMS link expired (so the 3 days count from then, however late the worker runs).
    Claimed with SKIP LOCKED; each case in its own savepoint, so one bad row does not stop the
    others. Returns how many were opened."""
    opened = 0
    with transaction.atomic():
        claim = (
            Survey.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(state=State.PENDING, method=Survey.Method.CALLBACK, callback_ticket__isnull=True)
            .select_related("ticket__service_type", "ticket__customer", "ticket__org_unit")
            .order_by("case_closed_at", "id")
        )
        if ids is not None:
            claim = claim.filter(pk__in=ids)
        for survey in claim[:limit]:
            try:
                with transaction.atomic():
                    survey.callback_ticket = _open_callback_ticket(
                        survey.ticket,
                        received_at=survey.sms_expires_at or survey.case_closed_at,
                        is_after_sms=survey.sms_expires_at is not None,
                        now=now,
                    )
                    survey.save(update_fields=["callback_ticket"])
                    opened += 1
            except ValidationError:
                logger.warning("no callback ticket for survey %s", survey.pk, exc_info=True)
    if opened:
        logger.info("callback tickets opened: %d", opened)
    return opened


def _open_callback_ticket(case, *, received_at, is_after_sms, now) -> Ticket:
    with translation.override(settings.LANGUAGE_CODE):
        names = {"reference": case.reference, "service": case.service_type.name}
        if not is_after_sms:
            description = _("Follow-up call after closure of %(reference)s (%(service)s).") % names
        else:
            description = (
                _(
                    "Follow-up call after closure of %(reference)s (%(service)s): "
                    "the survey sent by SMS expired unanswered."
                )
                % names
            )
    return ticket_services.create_ticket(
        service_type=ServiceType.objects.get(code=CALLBACK_SERVICE_TYPE),
        channel=Channel.HOTLINE,
        description=description,
        actor=None,
        now=now,
        received_at=min(received_at, now),
        customer=case.customer,
        contact_name=case.contact_name,
        contact_phone=case.contact_phone,
        contact_address=case.contact_address,
        org_unit=case.org_unit,
    )


def _called_back_when_expired() -> list[int]:
    """Service types whose unanswered SMS surveys are called back: by their rule, else by default."""
    ruled = dict(SurveyRule.objects.values_list("service_type_id", "is_called_back_when_expired"))
    unruled = ServiceType.objects.exclude(pk__in=ruled).values_list("pk", "category", "code")
    return [pk for pk, is_on in ruled.items() if is_on] + [
        pk for pk, category, code in unruled if rules.default_callback_when_expired(category, code)
    ]


def call_back_expired_surveys(*, now, limit: int = 1000) -> int:
    """SMS surveys whose link expired unanswered go to the callback queue when their service type's
    rule says so: they turn into phone follow-ups, and the worker opens their SVY-CB tickets after
    commit (open_callback_tickets). One chunk, claimed with SKIP LOCKED; returns its size."""
    service_types = _called_back_when_expired()
    if not service_types:
        return 0
    with transaction.atomic():
        ids = list(
            Survey.objects.select_for_update(skip_locked=True)
            .filter(
                state=State.PENDING,
                method=Survey.Method.SMS,
                service_type_id__in=service_types,
                sms_expires_at__lte=now,
            )
            .order_by("sms_expires_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return 0
        Survey.objects.filter(pk__in=ids).update(method=Survey.Method.CALLBACK)
        from .tasks import open_callback_tickets as open_task

        enqueue_on_commit(open_task, ids)
    logger.info("expired SMS surveys moved to the callback queue: %d", len(ids))
    return len(ids)


def withdraw_survey(*, ticket, actor, now) -> Survey | None:
    """A reopened case: its open survey is withdrawn (the link stops working, the callback ends)."""
    survey = (
        Survey.objects.select_for_update(of=("self",))
        .filter(ticket=ticket, state=State.PENDING)
        .select_related("callback_ticket")
        .first()
    )
    if survey is None:
        return None
    survey.state, survey.outcome_at, survey.outcome_by = State.WITHDRAWN, now, actor
    survey.save(update_fields=["state", "outcome_at", "outcome_by"])
    callback = survey.callback_ticket
    if callback is not None and callback.status not in (Status.CLOSED, Status.CANCELLED):
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("Case %(reference)s was reopened.") % {"reference": ticket.reference}
        ticket_services.cancel_ticket(ticket=callback, actor=actor, now=now, reason=reason)
    return survey


def on_status_changing(*, ticket, before, after, actor, now) -> None:
    """tickets.hooks.ticket_status_changing, inside the change's transaction."""
    if ticket.service_type.category == FOLLOW_UP:
        _guard_follow_up_ticket(ticket, after)
        return
    if after in (Status.CLOSED, Status.CANCELLED):
        create_surveys(tickets=[ticket], now=now)
    elif before in (Status.RESOLVED, Status.CLOSED) and after == Status.IN_PROGRESS:
        withdraw_survey(ticket=ticket, actor=actor, now=now)


def _guard_follow_up_ticket(ticket, after) -> None:
    """A callback ticket ends with the survey's outcome; a recovery ticket with "now satisfied?"."""
    if after not in (Status.RESOLVED, Status.CLOSED):
        return
    if Survey.objects.filter(callback_ticket=ticket, state=State.PENDING).exists():
        raise ValidationError({"to": _("Record the outcome of the follow-up call on its survey page first.")})
    if Recovery.objects.filter(ticket=ticket, closed_at__isnull=True).exists():
        raise ValidationError(
            {
                "to": _(
                    "Close a service recovery on its recovery page: "
                    "it asks whether the customer is now satisfied."
                )
            }
        )


# ---------------------------------------------------------------- the link


def survey_for_token(token: str, *, now=None) -> Survey:
    """The survey a link is for, or SurveyLinkError saying why it cannot be used."""
    try:
        pk = signing.loads(token, salt=TOKEN_SALT, max_age=dt.timedelta(days=rules.TOKEN_DAYS))
    except signing.SignatureExpired as exc:
        raise SurveyLinkError(
            _("This survey link has expired (links are valid for 7 days)."), code="expired"
        ) from exc
    except signing.BadSignature as exc:
        raise SurveyLinkError(
            _("This survey link is not valid. Please check the address in the message."), code="forged"
        ) from exc
    survey = Survey.objects.select_related("ticket__service_type", "org_unit").filter(pk=pk).first()
    if survey is None or survey.method != Survey.Method.SMS:
        raise SurveyLinkError(
            _("This survey link is not valid. Please check the address in the message."), code="forged"
        )
    _check_open_for_answer(survey)
    if now is not None and survey.sms_expires_at and now >= survey.sms_expires_at:
        raise SurveyLinkError(_("This survey link has expired (links are valid for 7 days)."), code="expired")
    return survey


def _check_open_for_answer(survey) -> None:
    if survey.state == State.ANSWERED:
        raise SurveyLinkError(_("This survey was already answered. Thank you!"), code="used")
    if survey.state == State.WITHDRAWN:
        raise SurveyLinkError(_("This survey is no longer needed: the case was reopened."), code="withdrawn")
    if survey.state != State.PENDING:
        raise SurveyLinkError(_("This survey is closed."), code="closed")


# ---------------------------------------------------------------- answers


def active_questions() -> list[Question]:
    return list(Question.objects.filter(is_active=True).order_by("sort_order", "code"))


def _clean_answer(*, scores, overall, is_solved, comment, questions) -> tuple[dict, int, bool, str]:
    errors = {}
    clean = {}
    wrong = _("Choose a score from %(min)s to %(max)s, or not applicable.") % {
        "min": SCORE_MIN,
        "max": SCORE_MAX,
    }
    for q in questions:
        if q.code == OVERALL_CODE:
            continue
        value = (scores or {}).get(q.code)
        if value in (None, ""):
            clean[q.code] = None
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = None
        if number is None or not SCORE_MIN <= number <= SCORE_MAX or str(value).strip() != str(number):
            errors[q.code] = [wrong]
        else:
            clean[q.code] = number
    unknown = set(scores or {}) - {q.code for q in questions}
    if unknown:
        errors["scores"] = [_("Unknown question %(codes)s.") % {"codes": ", ".join(sorted(unknown))}]
    try:
        overall = int(overall)
    except (TypeError, ValueError):
        overall = None
    if overall is None or not SCORE_MIN <= overall <= SCORE_MAX:
        errors[OVERALL_CODE] = [_("Give an overall score from 1 (very dissatisfied) to 5 (very satisfied).")]
    if is_solved not in (True, False):
        errors["solved"] = [_("Tell us whether your problem was solved.")]
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [_("Keep your comments under %(max)s characters.") % {"max": COMMENT_MAX}]
    if errors:
        raise ValidationError(errors)
    return clean, overall, is_solved, comment


def _apply_answer(survey, *, scores, overall, is_solved, comment, actor, now) -> Recovery | None:
    questions = {q.code: q for q in Question.objects.all()}
    survey.scores, survey.overall, survey.is_solved, survey.comment = scores, overall, is_solved, comment
    answered = [v for v in scores.values() if v is not None] + [overall]
    survey.lowest_score = min(answered)
    for dimension in SERVQUAL:
        values = [v for code, v in scores.items() if v is not None and questions[code].dimension == dimension]
        setattr(survey, f"{dimension}_sum", sum(values))
        setattr(survey, f"{dimension}_n", len(values))
    survey.state, survey.outcome_at, survey.outcome_by = State.ANSWERED, now, actor
    survey.save()
    _count_item_scores(survey)
    reasons = rules.recovery_reasons(overall=overall, scores=scores, is_solved=is_solved)
    return open_recovery(survey=survey, reasons=reasons, now=now) if reasons else None


def _count_item_scores(survey) -> None:
    """Add an answer's item scores to its unit's day (ItemScoreDay), in one statement."""
    scored = sorted((code, value) for code, value in survey.scores.items() if value is not None)
    if not scored:
        return
    table = connection.ops.quote_name(ItemScoreDay._meta.db_table)
    day = survey.case_closed_at.astimezone(rules.LOCAL_TZ).date()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (org_unit_id, day, question_code, total, answers) VALUES "
            + ", ".join(["(%s, %s, %s, %s, 1)"] * len(scored))
            + f" ON CONFLICT (org_unit_id, day, question_code) DO UPDATE SET total = {table}.total + "
            f"excluded.total, answers = {table}.answers + excluded.answers",
            [param for code, value in scored for param in (survey.org_unit_id, day, code, value)],
        )


def answer_survey(
    *, survey, scores, overall, is_solved, comment="", case_reference=None, now, actor=None
) -> Survey:
    """Record the customer's answer once; an unhappy answer opens a service recovery at once."""
    questions = active_questions()
    with transaction.atomic():
        survey = Survey.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=survey.pk)
        if case_reference is not None and case_reference != survey.ticket.reference:
            raise ValidationError({"case": _("This answer is for another case than the link's.")})
        _check_open_for_answer(survey)
        clean, overall, is_solved, comment = _clean_answer(
            scores=scores, overall=overall, is_solved=is_solved, comment=comment, questions=questions
        )
        _apply_answer(
            survey, scores=clean, overall=overall, is_solved=is_solved, comment=comment, actor=actor, now=now
        )
        _finish_callback_ticket(survey, actor=actor, now=now)
    return survey


# ---------------------------------------------------------------- the callback queue


def record_callback(*, survey, outcome, actor, now, note="", answer=None) -> CallbackAttempt:
    """One call: no answer / busy (three at different times -> unreachable), refused, wrong number,
    or answered (with `answer`: scores, overall, is_solved, comment)."""
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose what came of the call.")})
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": _("Keep the note under 200 characters.")})
    questions = active_questions() if outcome == Outcome.ANSWERED else []
    with transaction.atomic():
        survey = (
            Survey.objects.select_for_update(of=("self",)).select_related("callback_ticket").get(pk=survey.pk)
        )
        if survey.state != State.PENDING:
            raise ValidationError(
                {
                    "outcome": _("This survey is closed (%(state)s): no more calls are recorded.")
                    % {"state": survey.get_state_display()}
                }
            )
        counts = False
        if outcome in (Outcome.NO_ANSWER, Outcome.BUSY):
            earlier = list(survey.attempts.filter(counts_as_try=True).values_list("at", flat=True))
            counts = rules.counts_as_new_try(earlier, now)
            if counts and len(earlier) + 1 >= rules.UNREACHABLE_TRIES:
                survey.state = State.UNREACHABLE
        elif outcome == Outcome.REFUSED:
            survey.state = State.REFUSED
        elif outcome == Outcome.WRONG_NUMBER:
            survey.state = State.WRONG_NUMBER
        attempt = CallbackAttempt.objects.create(
            survey=survey, at=now, by=actor, outcome=outcome, counts_as_try=counts, note=note
        )
        if outcome == Outcome.ANSWERED:
            answer = answer or {}
            clean, overall, is_solved, comment = _clean_answer(
                scores=answer.get("scores"),
                overall=answer.get("overall"),
                is_solved=answer.get("is_solved"),
                comment=answer.get("comment", ""),
                questions=questions,
            )
            _apply_answer(
                survey,
                scores=clean,
                overall=overall,
                is_solved=is_solved,
                comment=comment,
                actor=actor,
                now=now,
            )
        elif survey.state != State.PENDING:
            survey.outcome_at, survey.outcome_by = now, actor
            survey.save(update_fields=["state", "outcome_at", "outcome_by"])
        if survey.state != State.PENDING:
            _finish_callback_ticket(survey, actor=actor, now=now)
    return attempt


def _finish_callback_ticket(survey, *, actor, now) -> None:
    ticket = survey.callback_ticket
    if ticket is None:
        return
    ticket.refresh_from_db(fields=["status"])
    if ticket.status in (Status.CLOSED, Status.CANCELLED):
        return
    _drive_to_closed(ticket, actor=actor, now=now)


def _drive_to_closed(ticket, *, actor, now) -> None:
    """Through the ticket's own steps: (resume,) (accept,) start work, resolve, close."""
    if ticket.status == Status.WAITING_CUSTOMER:
        ticket = ticket_services.resume_ticket(ticket=ticket, actor=actor, now=now)
    if ticket.status == Status.NEW:
        ticket = ticket_services.accept_ticket(ticket=ticket, actor=actor, now=now)
    if ticket.status in (Status.ACCEPTED, Status.ASSIGNED):
        ticket = ticket_services.start_work(ticket=ticket, actor=actor, now=now)
    if ticket.status == Status.IN_PROGRESS:
        ticket = ticket_services.resolve_ticket(ticket=ticket, actor=actor, now=now)
    if ticket.status == Status.RESOLVED:
        ticket_services.close_ticket(ticket=ticket, actor=actor, now=now)


# ---------------------------------------------------------------- service recovery


def _supervisor_of(unit: OrgUnit):
    profile = (
        StaffProfile.objects.filter(org_unit=unit, role=Role.OUTLET_SUPERVISOR, user__is_active=True)
        .select_related("user__staff_profile__org_unit")
        .order_by("user_id")
        .first()
    )
    return profile.user if profile else None


def _branch_managers(unit: OrgUnit) -> list:
    branch_codes = [code for code in unit.path.strip("/").split("/")]
    return [
        p.user
        for p in StaffProfile.objects.filter(
            org_unit__code__in=branch_codes,
            org_unit__kind=OrgUnit.Kind.BRANCH,
            role=Role.BRANCH_MANAGER,
            user__is_active=True,
        ).select_related("user")
    ]


def _earlier_recovery(survey, now) -> Recovery | None:
    since = now - dt.timedelta(days=rules.REPEAT_RECOVERY_DAYS)
    earlier = Recovery.objects.filter(opened_at__gte=since).exclude(survey=survey)
    if survey.customer_id:
        earlier = earlier.filter(survey__customer_id=survey.customer_id)
    elif survey.phone:
        earlier = earlier.filter(survey__phone=survey.phone)
    else:
        return None
    return earlier.order_by("-opened_at").first()


REASON_TEXT = {
    "overall_low": gettext_lazy("overall score 2 or lower"),
    "item_at_1": gettext_lazy("an item scored 1"),
    "not_solved": gettext_lazy("problem not solved"),
}


def open_recovery(*, survey, reasons, now) -> Recovery:
    """A recovery ticket for the supervisor of the outlet that handled the case, linked to it.

    A second unhappy answer of the same customer within 90 days raises it to the branch manager
    (high priority, notified at once).
    """
    original = Ticket.objects.select_related("org_unit", "customer", "service_type").get(pk=survey.ticket_id)
    repeat = _earlier_recovery(survey, now)
    with translation.override(settings.LANGUAGE_CODE):
        description = _(
            "Service recovery for %(reference)s: the customer answered the follow-up unhappily "
            "(%(reasons)s). Contact the customer within 1 working day."
        ) % {"reference": original.reference, "reasons": ", ".join(str(REASON_TEXT[r]) for r in reasons)}
    ticket = ticket_services.create_ticket(
        service_type=ServiceType.objects.get(code=RECOVERY_SERVICE_TYPE),
        channel=Channel.HOTLINE,
        description=description,
        actor=None,
        now=now,
        customer=original.customer,
        contact_name=original.contact_name,
        contact_phone=original.contact_phone or survey.phone,
        contact_address=original.contact_address,
        org_unit=original.org_unit,
        priority=Priority.HIGH if repeat else Priority.NORMAL,
    )
    supervisor = _supervisor_of(original.org_unit)
    if supervisor is not None:
        ticket = ticket_services.assign_ticket(ticket=ticket, assignee=supervisor, actor=None, now=now)
    recovery = Recovery.objects.create(
        survey=survey,
        ticket=ticket,
        original=original,
        org_unit_id=survey.org_unit_id,
        case_closed_at=survey.case_closed_at,
        reasons=reasons,
        is_repeat=repeat is not None,
        opened_at=now,
    )
    ticket_services.record_step(
        ticket=original,
        step=timeline.RECOVERY_OPENED,
        kind=TicketEvent.Kind.NOTE,
        params={"recovery": ticket.reference},
        actor=None,
        now=now,
    )
    if repeat is not None:
        managers = _branch_managers(original.org_unit)
        if managers:
            outbox.notify_repeat_unhappy(
                recipients=managers,
                ticket=ticket,
                now=now,
                original=original.reference,
                earlier=repeat.original.reference,
            )
    return recovery


def close_recovery(*, recovery, action_taken, is_customer_satisfied, actor, now) -> Recovery:
    """What was done, and whether the customer is now satisfied (recovery success); closes the ticket."""
    errors = {}
    action_taken = (action_taken or "").strip()
    if not action_taken:
        errors["action_taken"] = [_("Say what was done for the customer.")]
    elif len(action_taken) > 2000:
        errors["action_taken"] = [_("Keep it under 2000 characters.")]
    if is_customer_satisfied not in (True, False):
        errors["is_customer_satisfied"] = [_("Say whether the customer is now satisfied.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        recovery = (
            Recovery.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=recovery.pk)
        )
        if recovery.closed_at is not None:
            raise ValidationError({"action_taken": _("This recovery is already closed.")})
        if recovery.ticket.status == Status.CANCELLED:
            raise ValidationError({"action_taken": _("The recovery ticket was cancelled.")})
        recovery.action_taken, recovery.is_customer_satisfied, recovery.closed_at = (
            action_taken,
            is_customer_satisfied,
            now,
        )
        recovery.save(update_fields=["action_taken", "is_customer_satisfied", "closed_at"])
        ticket_services.add_note(ticket=recovery.ticket, text=action_taken, actor=actor, now=now)
        _drive_to_closed(recovery.ticket, actor=actor, now=now)
    return recovery
