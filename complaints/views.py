"""Complaint pages: the public form and tracking, the staff worklist, page, steps, intake and figures.

Thin: forms check the input, services make every change, selectors do the reading.
"""

import datetime
import hashlib
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from accounts.roles import is_service_staff, is_supervisor
from accounts.selectors import customer_for, search_customers
from gasservice.forms import apply_service_errors
from tickets import selectors as ticket_selectors
from tickets.models import Status
from tickets.timeline import timeline_rows

from . import selectors, services, timeline
from .forms import (
    AcknowledgeForm,
    CloseForm,
    ContactForm,
    InvestigationForm,
    LinkForm,
    PublicComplaintForm,
    ReopenForm,
    ResponseForm,
    StaffComplaintForm,
    TrackForm,
    category_choices,
)
from .models import Complaint, Severity, Source

logger = logging.getLogger(__name__)

# Rates for the public pages (django-ratelimit syntax, per sliding window). Settings may override.
DEFAULT_RATES = {"ip": "20/h", "phone": "3/h", "track": "30/h"}
# The same phone sending the same text within this time gets its first reference back, not a copy.
DUPLICATE_WINDOW = datetime.timedelta(minutes=30)
SESSION_KEY = "complaints_submitted"

CUSTOMER_SEARCH_LIMIT = 20


def _rate(name: str) -> str:
    return getattr(settings, "COMPLAINT_RATES", {}).get(name, DEFAULT_RATES[name])


def _limited(request, *, group: str, key, rate: str) -> bool:
    """Count one attempt; True when over the rate. A cache outage lets requests through (logged)."""
    try:
        return is_ratelimited(request, group=group, key=key, rate=rate, increment=True)
    except Exception:  # the cache (Redis) is down: accept the complaint rather than lose it
        logger.warning("rate limit cache unavailable for %s", group, exc_info=True)
        return False


def submission_key(phone: str, description: str) -> str:
    """The cache key held while a submission of this text from this phone is being filed."""
    digest = hashlib.sha256(f"{phone}\n{description.strip()}".encode()).hexdigest()
    return f"{getattr(settings, 'RATELIMIT_CACHE_PREFIX', 'rl:')}submit:{digest}"


def _claim_submission(key: str) -> bool:
    """Claim one identical submission for a minute, so that two simultaneous taps file it once."""
    try:
        return cache.add(key, 1, timeout=60)
    except Exception:  # cache down: the database duplicate check still applies
        logger.warning("submission lock cache unavailable", exc_info=True)
        return True


def _release_submission(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.warning("submission lock cache unavailable", exc_info=True)


def _too_many(request):
    return render(request, "complaints/too_many.html", status=429)


# The complaint service's arguments that the complaint forms name otherwise.
FORM_FIELDS = {
    "complainant_name": "name",
    "complainant_phone": "phone",
    "complainant_email": "email",
    "complainant_address": "address",
    "account_no_given": "account_no",
    "sub_category": "category",
}


# ---------------------------------------------------------------- public pages


def complaint_new(request):
    """The public complaint form (no login, mobile-first)."""
    if request.method != "POST":
        return render(request, "complaints/public_form.html", {"form": PublicComplaintForm()})
    if _limited(request, group="complaints.new.ip", key="ip", rate=_rate("ip")):
        return _too_many(request)
    form = PublicComplaintForm(request.POST, request.FILES)
    if form.is_bot:
        logger.info("complaint form honeypot filled; discarded")
        form.add_error(
            None, _("Your complaint could not be accepted. Please try again, or call our hotline.")
        )
        return render(request, "complaints/public_form.html", {"form": form}, status=400)
    if not form.is_valid():
        return render(request, "complaints/public_form.html", {"form": form}, status=400)
    data = form.cleaned_data
    now = timezone.now()
    duplicate = (
        Complaint.objects.filter(
            complainant_phone=data["phone"],
            received_at__gte=now - DUPLICATE_WINDOW,
            ticket__description=data["description"].strip(),
        )
        .select_related("ticket")
        .first()
    )
    if duplicate is not None:
        request.session[SESSION_KEY] = duplicate.reference
        return redirect("complaints:submitted")
    submission = submission_key(data["phone"], data["description"])
    if not _claim_submission(submission):
        return _too_many(request)  # the same text is being filed right now (a double tap)
    if _limited(
        request, group="complaints.new.phone", key=lambda group, req: data["phone"], rate=_rate("phone")
    ):
        _release_submission(submission)
        return _too_many(request)
    category, sub_category = data["category"]
    try:
        complaint = services.file_complaint(
            source=Source.WEB,
            category=category,
            sub_category=sub_category,
            description=data["description"],
            complainant_name=data["name"],
            complainant_phone=data["phone"],
            complainant_email=data["email"],
            complainant_address=data["address"],
            customer=form.customer,
            account_no_given=data["account_no"],
            requested_remedy=data["requested_remedy"],
            consent_at=now,
            attachments=data["attachments"],
            actor=None,
            now=now,
        )
    except Exception as exc:
        _release_submission(submission)
        if not isinstance(exc, ValidationError):
            raise
        apply_service_errors(form, exc, fields=FORM_FIELDS)
        return render(request, "complaints/public_form.html", {"form": form}, status=400)
    request.session[SESSION_KEY] = complaint.reference
    return redirect("complaints:submitted")


def complaint_submitted(request):
    """The confirmation: the reference and how to track it (read from the session, not the URL)."""
    reference = request.session.get(SESSION_KEY)
    if not reference:
        return redirect("complaints:new")
    return render(
        request,
        "complaints/submitted.html",
        {
            "reference": reference,
            "track_url": f"{reverse('complaints:track')}?reference={reference}",
        },
    )


def complaint_track(request):
    """Reference + phone -> status, promised dates and public replies; one answer for every mismatch."""
    status = None
    not_found = False
    if request.method == "POST":
        if _limited(request, group="complaints.track.ip", key="ip", rate=_rate("track")):
            return _too_many(request)
        form = TrackForm(request.POST)
        if form.is_valid():
            status = selectors.track_complaint(
                reference=form.cleaned_data["reference"], phone=form.cleaned_data["phone"]
            )
            not_found = status is None
    else:
        form = TrackForm(initial={"reference": request.GET.get("reference", "")[:20]})
    return render(
        request,
        "complaints/track.html",
        {"form": form, "status": status, "not_found": not_found},
    )


# ---------------------------------------------------------------- staff pages


def _require_staff(user) -> None:
    """Complaint handlers: every staff role but field technicians (who work on the tickets themselves)."""
    if not is_service_staff(user):
        raise PermissionDenied(
            _("Complaints are handled by the front desk, call-centre agents, supervisors and managers.")
        )


def _require_supervisor(user) -> None:
    if not is_supervisor(user):
        raise PermissionDenied(
            _("The complaint figures are for outlet supervisors, branch managers and centre managers.")
        )


@login_required
def worklist(request):
    _require_staff(request.user)
    params = request.GET
    filters = {
        "status": params.get("status", "open"),
        "category": params.get("category", ""),
        "source": params.get("source", ""),
        "severity": params.get("severity", ""),
        "repeat_only": params.get("repeat") == "1",
        "breached": params.get("breached") == "1" or params.get("sla") == "breached",
        "at_risk": params.get("sla") == "at_risk",
        "filed_by_me": params.get("filed") == "me",
        "q": params.get("q", "")[:40],
    }
    page = Paginator(selectors.complaints_for(request.user, **filters), 50).get_page(params.get("page"))
    query = params.copy()
    query.pop("page", None)
    return render(
        request,
        "complaints/worklist.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "status_choices": [("open", _("Open")), *Status.choices, ("", _("All"))],
            "category_groups": [
                (label, options) if isinstance(options, list) else (None, [(label, options)])
                for label, options in category_choices()[1:]
            ],
            "can_see_figures": is_supervisor(request.user),
            "source_choices": Source.choices,
            "severity_choices": Severity.choices,
        },
    )


def _complaint_or_404(user, reference: str, *, readable: bool = False) -> Complaint:
    try:
        return selectors.complaint_for(user, reference, readable=readable)
    except Complaint.DoesNotExist:
        raise Http404(_("No complaint with this reference is visible to you.")) from None


STEP_FORMS = {
    "acknowledge_form": AcknowledgeForm,
    "contact_form": ContactForm,
    "investigation_form": InvestigationForm,
    "response_form": ResponseForm,
    "close_form": CloseForm,
    "reopen_form": ReopenForm,
    "link_form": LinkForm,
}


def _detail(request, complaint, *, failed: str = "", status: int = 200, **forms):
    context = {
        name: forms.get(name) or form_class(prefix=name.removesuffix("_form"))
        for name, form_class in STEP_FORMS.items()
    }
    chain = (
        selectors.repeat_chain_for(request.user, complaint)
        if complaint.is_repeat or complaint.repeats.exists()
        else selectors.Chain(complaints=[], elsewhere=0)
    )
    context.update(
        {
            "complaint": complaint,
            "ticket": complaint.ticket,
            "can_work": selectors.is_workable_by(request.user, complaint),
            "milestones": selectors.milestones(complaint),
            "events": timeline_rows(
                complaint.ticket,
                ticket_selectors.timeline(complaint.ticket),
                known=timeline.known_names(complaint),
            ),
            "chain": chain.complaints if len(chain.complaints) > 1 or chain.elsewhere else [],
            "chain_elsewhere": chain.elsewhere,
            "related": selectors.related_tickets(complaint),
            "attachments": complaint.ticket.attachments.all(),
            "failed": failed,
        }
    )
    return render(request, "complaints/detail.html", context, status=status)


@login_required
def detail(request, reference):
    """The complaint's page; a complaint the user filed for another unit opens read only."""
    _require_staff(request.user)
    return _detail(request, _complaint_or_404(request.user, reference, readable=True))


def _step(request, reference, *, form_name, perform, success):
    """POST a step: validate the form, call the service, redirect back; errors re-render the page (400)."""
    _require_staff(request.user)
    complaint = _complaint_or_404(request.user, reference)
    form = STEP_FORMS[form_name](request.POST, prefix=form_name.removesuffix("_form"))
    if form.is_valid():
        try:
            perform(complaint, form.cleaned_data, timezone.now())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except IntegrityError:
            form.add_error(None, _("This has already been done."))
        else:
            messages.success(request, success)
            return redirect("complaints:detail", reference)
    complaint = _complaint_or_404(request.user, reference)
    return _detail(request, complaint, failed=form_name, status=400, **{form_name: form})


@login_required
@require_POST
def acknowledge(request, reference):
    return _step(
        request,
        reference,
        form_name="acknowledge_form",
        success=_("Complaint acknowledged."),
        perform=lambda c, d, now: services.acknowledge_complaint(
            complaint=c, note=d["note"], actor=request.user, now=now
        ),
    )


@login_required
@require_POST
def contact(request, reference):
    return _step(
        request,
        reference,
        form_name="contact_form",
        success=_("Contact recorded."),
        perform=lambda c, d, now: services.record_contact(
            complaint=c, note=d["note"], actor=request.user, now=now
        ),
    )


@login_required
@require_POST
def investigate(request, reference):
    return _step(
        request,
        reference,
        form_name="investigation_form",
        success=_("Investigation recorded."),
        perform=lambda c, d, now: services.record_investigation(
            complaint=c,
            findings=d["findings"],
            is_substantiated=d["is_substantiated"],
            root_cause=d["root_cause"],
            department_at_fault=d["department_at_fault"],
            actor=request.user,
            now=now,
        ),
    )


@login_required
@require_POST
def respond(request, reference):
    return _step(
        request,
        reference,
        form_name="response_form",
        success=_("Answer sent to the complainant."),
        perform=lambda c, d, now: services.respond_to_complaint(
            complaint=c,
            response_text=d["response_text"],
            remedy=d["remedy"],
            remedy_amount=d["remedy_amount"],
            actor=request.user,
            now=now,
        ),
    )


@login_required
@require_POST
def close(request, reference):
    return _step(
        request,
        reference,
        form_name="close_form",
        success=_("Complaint closed."),
        perform=lambda c, d, now: services.close_complaint(
            complaint=c, customer_accepted=d["customer_accepted"], note=d["note"], actor=request.user, now=now
        ),
    )


@login_required
@require_POST
def reopen(request, reference):
    return _step(
        request,
        reference,
        form_name="reopen_form",
        success=_("Complaint reopened."),
        perform=lambda c, d, now: services.reopen_complaint(
            complaint=c, reason=d["reason"], actor=request.user, now=now
        ),
    )


def _link(request, complaint, data, now):
    ticket = ticket_selectors.find_visible_ticket(request.user, data["reference"])
    if ticket is None:
        raise ValidationError({"reference": _("No ticket with this reference is visible to you.")})
    services.link_related(complaint=complaint, ticket=ticket, actor=request.user, now=now)


@login_required
@require_POST
def link(request, reference):
    return _step(
        request,
        reference,
        form_name="link_form",
        success=_("Related case linked."),
        perform=lambda c, d, now: _link(request, c, d, now),
    )


@login_required
def intake(request):
    """Staff intake for the service hall, the hotline, 12345 orders, letters, media and regulators."""
    _require_staff(request.user)
    lookup = _customer_lookup(request)
    if request.method == "POST":
        form = StaffComplaintForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            now = timezone.now()
            category, sub_category = data["category"]
            try:
                complaint = services.file_complaint(
                    source=data["source"],
                    category=category,
                    sub_category=sub_category,
                    severity=data["severity"],
                    description=data["description"],
                    complainant_name=data["name"],
                    complainant_phone=data["phone"],
                    complainant_email=data["email"],
                    complainant_address=data["address"] or (form.customer.address if form.customer else ""),
                    customer=form.customer,
                    account_no_given=data["account_no"],
                    requested_remedy=data["requested_remedy"],
                    consent_at=now if data["consent"] else None,
                    received_at=data["received_at"],
                    hotline_order_no=data["hotline_order_no"],
                    hotline_due_at=data["hotline_due_at"],
                    attachments=data["attachments"],
                    actor=request.user,
                    now=now,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc, fields=FORM_FIELDS)
            else:
                messages.success(
                    request, _("Complaint %(reference)s filed.") % {"reference": complaint.reference}
                )
                return redirect("complaints:detail", complaint.reference)
        return render(request, "complaints/intake.html", {"form": form, **lookup}, status=400)
    customer = lookup["customer"]
    initial = {}
    if customer is not None:
        # The account holder complains: the clerk still asks for the number to call back on.
        initial = {"account_no": customer.account_no, "name": customer.name, "address": customer.address}
    return render(request, "complaints/intake.html", {"form": StaffComplaintForm(initial=initial), **lookup})


def _customer_lookup(request) -> dict:
    """The intake page's customer search (?q=) and choice (?customer=), as on ticket intake."""
    account_no = (request.GET.get("customer") or "").strip()
    customer = customer_for(request.user, account_no) if account_no else None
    query = (request.GET.get("q") or "").strip()
    results = search_customers(request.user, query, limit=CUSTOMER_SEARCH_LIMIT) if query else None
    return {
        "customer": customer,
        "unknown_account": account_no if account_no and customer is None else "",
        "query": query,
        "results": results[:CUSTOMER_SEARCH_LIMIT] if results is not None else None,
        "has_more_results": results is not None and len(results) > CUSTOMER_SEARCH_LIMIT,
    }


@login_required
def figures(request):
    """Supervisor figures for a period (default: the last 12 months up to today)."""
    _require_supervisor(request.user)
    today = timezone.localdate()
    start_day = parse_date(request.GET.get("start", "") or "") or today.replace(day=1, year=today.year - 1)
    end_day = parse_date(request.GET.get("end", "") or "") or today
    if end_day < start_day:
        start_day, end_day = end_day, start_day
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(start_day, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(end_day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    data = selectors.complaint_figures(request.user, start=start, end=end)
    return render(
        request, "complaints/figures.html", {"figures": data, "start_day": start_day, "end_day": end_day}
    )
