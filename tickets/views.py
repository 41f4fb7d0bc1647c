"""Staff pages for tickets: intake, receipt, queues, the ticket page and its actions; the public
catalogue of commitments. Thin: forms read input, services make every change, selectors read."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Segment
from accounts.roles import is_supervisor, may_transfer_cases
from accounts.selectors import customer_for, search_customers
from accounts.visibility import ALL, org_scope
from gasservice.forms import apply_service_errors

from . import selectors, services, timeline, tracking, ui_selectors
from .forms import (
    AssignForm,
    AttachmentForm,
    IntakeForm,
    MeetMilestoneForm,
    NoteForm,
    PauseForm,
    PreviewForm,
    QueueFilterForm,
    ReplyForm,
    TrackForm,
    TransferForm,
    TransitionForm,
)
from .models import Channel, ServiceType, Status, Ticket
from .templatetags.tickets_ui import local_name, promise_text

QUEUE_PAGE_SIZE = 25
CUSTOMER_SEARCH_LIMIT = 20
DISPLAY_FORMAT = "Y-m-d H:i (D)"
PREVIEW_FIELDS = {"service_type", "received_at", "customer", "hotline_due_at"}


def format_local(value) -> str:
    """An instant as the clerk reads it: local (Asia/Shanghai) date and time with the weekday."""
    return dateformat.format(timezone.localtime(value), DISPLAY_FORMAT) if value else ""


# ---------------------------------------------------------------- intake and the deadline preview


def _segment_for(service_type: ServiceType, customer) -> str:
    """The customer's segment; for a walk-in, residential when the service is offered to households."""
    if customer is not None:
        return customer.segment
    if service_type.applies_to(Segment.RESIDENTIAL) or not service_type.segments:
        return Segment.RESIDENTIAL
    return service_type.segments[0]


def _preview_rows(
    *, service_type: ServiceType, customer, received_at, now, is_safety_or_supply=False, hotline_due_at=None
) -> list[dict]:
    rows = services.preview_deadlines(
        service_type=service_type,
        segment=_segment_for(service_type, customer),
        received_at=received_at or now,
        now=now,
        is_safety_or_supply=is_safety_or_supply,
        hotline_due_at=hotline_due_at,
    )
    names = {row["code"]: row["name"] for row in rows}
    return [
        {
            "code": row["code"],
            "name": row["name"],
            "due_at": row["due_at"].isoformat() if row.get("due_at") else None,
            "due_display": format_local(row.get("due_at"))
            or _("counted from when “%(step)s” is done")
            % {"step": names.get(row.get("starts_after"), row.get("starts_after") or "")},
            "is_provisional": bool(row.get("is_provisional")),
            "promise": promise_text(row["amount"], row["unit"]),
        }
        for row in rows
    ]


@login_required
def new_ticket(request):
    """Front desk and call centre intake: find the customer, pick the service, see the promised dates."""
    now = timezone.now()
    account_no = (request.POST.get("customer") or request.GET.get("customer") or "").strip()
    customer = customer_for(request.user, account_no) if account_no else None
    query = request.GET.get("q", "").strip()
    results = search_customers(request.user, query, limit=CUSTOMER_SEARCH_LIMIT) if query else None
    preview = None
    status = 200
    if request.method == "POST":
        form = IntakeForm(request.POST, user=request.user, customer=customer)
        is_valid = form.is_valid()
        if request.POST.get("action") == "preview":
            # Only the inputs of the preview are judged here; the rest is checked on submit.
            for field in list(form.errors):
                if field not in PREVIEW_FIELDS:
                    del form.errors[field]
            if "service_type" in form.cleaned_data and not form.errors:
                data = form.cleaned_data
                try:
                    preview = _preview_rows(
                        service_type=data["service_type"],
                        customer=customer,
                        received_at=data.get("received_at"),
                        now=now,
                        is_safety_or_supply=bool(data.get("is_safety_or_supply")),
                        hotline_due_at=data.get("hotline_due_at")
                        if data.get("channel") == Channel.CITY_HOTLINE
                        else None,
                    )
                except ValidationError as error:
                    apply_service_errors(form, error)
        elif is_valid:
            try:
                ticket = services.create_ticket(**form.service_kwargs(), actor=request.user, now=now)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(
                    request, _("Ticket %(reference)s created.") % {"reference": ticket.reference}
                )
                return redirect("tickets:receipt", reference=ticket.reference)
        if form.errors:
            status = 400
    else:
        initial = {}
        if request.GET.get("channel") in Channel.values:
            initial["channel"] = request.GET["channel"]
        form = IntakeForm(user=request.user, customer=customer, initial=initial)
    context = {
        "form": form,
        "customer": customer,
        "unknown_account": account_no if account_no and customer is None else "",
        "query": query,
        "results": results[:CUSTOMER_SEARCH_LIMIT] if results is not None else None,
        "has_more_results": results is not None and len(results) > CUSTOMER_SEARCH_LIMIT,
        "preview": preview,
        "now_local": timezone.localtime(now).strftime("%Y-%m-%dT%H:%M"),
    }
    return render(request, "tickets/new.html", context, status=status)


@login_required
@require_GET
def preview(request):
    """The promised dates for a service, customer and receipt time, as JSON for the intake page."""
    now = timezone.now()
    form = PreviewForm(request.GET, user=request.user)
    if not form.is_valid():
        return JsonResponse(
            {"errors": {f: [str(m) for m in msgs] for f, msgs in form.errors.items()}}, status=400
        )
    try:
        data = form.cleaned_data
        rows = _preview_rows(
            service_type=data["service_type"],
            customer=data["customer"],
            received_at=data["received_at"],
            now=now,
            is_safety_or_supply=data["is_safety_or_supply"],
            hotline_due_at=data["hotline_due_at"],
        )
    except ValidationError as error:
        return JsonResponse(
            {"errors": getattr(error, "message_dict", {"__all__": error.messages})}, status=400
        )
    return JsonResponse({"milestones": rows})


# ---------------------------------------------------------------- receipt and ticket page


def _visible_ticket(user, reference: str):
    """The ticket if `user` may see it; 404 otherwise (not 403: its existence is not told)."""
    return selectors.ticket_detail(user, reference)


@login_required
def receipt(request, reference):
    """The printable receipt handed to the customer (one A4 page), with the tracking link as a QR code.

    Also for a case filed here for another unit's customer (read only: "cases I filed").
    """
    import segno

    ticket = selectors.ticket_detail(request.user, reference, readable=True)
    track_url = tracking.tracking_url(ticket.reference)
    context = {
        "ticket": ticket,
        "milestones": list(ticket.milestones.all()),
        "track_url": track_url,
        # Drawn here, offline: an inline SVG, no image service, prints sharp.
        "track_qr": mark_safe(segno.make(track_url, error="m").svg_inline(scale=3, title=track_url)),  # noqa: S308
        "printed_at": timezone.now(),
    }
    return render(request, "tickets/receipt.html", context)


def _allowed_statuses(ticket) -> list[str]:
    return services.allowed_targets(ticket)


def _detail_context(request, ticket, **forms):
    milestones = list(ticket.milestones.all())
    events = timeline.timeline_rows(ticket, selectors.timeline(ticket))
    attachments = ui_selectors.attachments_of(ticket)
    escalations = ui_selectors.escalations_of(ticket)
    allowed = [s for s in _allowed_statuses(ticket) if s != Status.WAITING_CUSTOMER]
    context = {
        "ticket": ticket,
        "milestones": milestones,
        "events": events,
        "attachments": attachments,
        "escalations": escalations,
        "can_pause": ticket.is_open
        and ticket.status != Status.WAITING_CUSTOMER
        and Status.WAITING_CUSTOMER in _allowed_statuses(ticket),
        "can_resume": ticket.status == Status.WAITING_CUSTOMER,
        "assign_form": forms.get("assign_form") or AssignForm(ticket=ticket),
        "transition_form": forms.get("transition_form") or TransitionForm(allowed=allowed, ticket=ticket),
        "pause_form": forms.get("pause_form") or PauseForm(),
        "meet_form": forms.get("meet_form") or MeetMilestoneForm(milestones=milestones),
        "note_form": forms.get("note_form") or NoteForm(),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "transfer_form": forms.get("transfer_form") or TransferForm(ticket=ticket, user=request.user),
        "has_open_milestones": any(m.met_at is None for m in milestones),
        "failed": next(iter(forms), ""),
    }
    return context


@login_required
def detail(request, reference):
    ticket = _visible_ticket(request.user, reference)
    return render(request, "tickets/detail.html", _detail_context(request, ticket))


def _action(request, reference, *, form_name, build_form, perform, success):
    """POST -> one service call -> redirect with a message; on bad input re-render with the errors (400)."""
    ticket = _visible_ticket(request.user, reference)
    form = build_form(ticket)
    if form.is_valid():
        try:
            perform(ticket, form.cleaned_data, timezone.now())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, success)
            if not Ticket.objects.visible_to(request.user).filter(pk=ticket.pk).exists():
                return redirect("tickets:queue")  # transferred out of the user's part of the organisation
            return redirect("tickets:detail", reference=ticket.reference)
    ticket = _visible_ticket(request.user, reference)
    response = render(
        request, "tickets/detail.html", _detail_context(request, ticket, **{form_name: form}), status=400
    )
    return response


@login_required
@require_POST
def assign(request, reference):
    return _action(
        request,
        reference,
        form_name="assign_form",
        build_form=lambda t: AssignForm(request.POST, ticket=t),
        perform=lambda t, d, now: services.assign_ticket(
            ticket=t, assignee=d["assignee"], actor=request.user, now=now
        ),
        success=_("Assigned."),
    )


@login_required
@require_POST
def transfer(request, reference):
    if not may_transfer_cases(request.user):
        raise PermissionDenied(_("Only supervisors, call-centre agents and managers may transfer cases."))
    return _action(
        request,
        reference,
        form_name="transfer_form",
        build_form=lambda t: TransferForm(request.POST, ticket=t, user=request.user),
        perform=lambda t, d, now: services.transfer_ticket(
            ticket=t, to_unit=d["org_unit"], reason=d["reason"], actor=request.user, now=now
        ),
        success=_("Transferred."),
    )


@login_required
@require_POST
def transition(request, reference):
    return _action(
        request,
        reference,
        form_name="transition_form",
        build_form=lambda t: TransitionForm(request.POST, ticket=t, allowed=_allowed_statuses(t)),
        perform=lambda t, d, now: services.transition_ticket(
            ticket=t, to=d["to"], reason=d["reason"], note=d["note"], actor=request.user, now=now
        ),
        success=_("Status changed."),
    )


@login_required
@require_POST
def pause(request, reference):
    return _action(
        request,
        reference,
        form_name="pause_form",
        build_form=lambda t: PauseForm(request.POST),
        perform=lambda t, d, now: services.pause_ticket(
            ticket=t, reason=d["reason"], actor=request.user, now=now
        ),
        success=_("The clock is paused."),
    )


@login_required
@require_POST
def resume(request, reference):
    return _action(
        request,
        reference,
        form_name="pause_form",
        build_form=lambda t: PauseForm({"reason": "-"}),
        perform=lambda t, d, now: services.resume_ticket(ticket=t, actor=request.user, now=now),
        success=_("The clock runs again."),
    )


@login_required
@require_POST
def meet_milestone(request, reference):
    return _action(
        request,
        reference,
        form_name="meet_form",
        build_form=lambda t: MeetMilestoneForm(request.POST, milestones=list(t.milestones.all())),
        perform=lambda t, d, now: services.meet_milestone(
            ticket=t, code=d["code"], actor=request.user, now=now
        ),
        success=_("Milestone met."),
    )


@login_required
@require_POST
def add_note(request, reference):
    return _action(
        request,
        reference,
        form_name="note_form",
        build_form=lambda t: NoteForm(request.POST),
        perform=lambda t, d, now: services.add_note(ticket=t, text=d["text"], actor=request.user, now=now),
        success=_("Note added."),
    )


@login_required
@require_POST
def add_reply(request, reference):
    return _action(
        request,
        reference,
        form_name="reply_form",
        build_form=lambda t: ReplyForm(request.POST),
        perform=lambda t, d, now: services.add_reply(ticket=t, text=d["text"], actor=request.user, now=now),
        success=_("Reply recorded."),
    )


@login_required
@require_POST
def add_attachment(request, reference):
    return _action(
        request,
        reference,
        form_name="attachment_form",
        build_form=lambda t: AttachmentForm(request.POST, request.FILES),
        perform=lambda t, d, now: services.add_attachment(
            ticket=t, file=d["file"], is_public=d["is_public"], actor=request.user, now=now
        ),
        success=_("File attached."),
    )


@login_required
@require_GET
def attachment(request, reference, uuid):
    """Download through the app: only for staff who may see the ticket (media is never public)."""
    found = ui_selectors.visible_attachment(request.user, reference, uuid)
    if found is None:
        raise Http404(_("No such file."))
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=found.original_name,
        content_type=found.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- queues


def _scopes_for(user) -> list[tuple[str, str]]:
    scopes = [("mine", _("My tickets")), ("team", _("My team's"))]
    if org_scope(user) is ALL:
        scopes.append(("all", _("All")))
    return scopes


def _default_scope(user) -> str:
    """Supervisors and managers watch their team's queue; everyone else works their own."""
    return "team" if is_supervisor(user) else "mine"


@login_required
@require_GET
def queue(request):
    """My tickets, my team's, or all: filtered, nearest deadline first, keyset pages (no counts)."""
    scopes = _scopes_for(request.user)
    default_scope = _default_scope(request.user)
    scope = request.GET.get("scope", default_scope)
    if scope not in dict(scopes):
        scope = default_scope
    form = QueueFilterForm(request.GET, user=request.user)
    filters = form.selector_filters() if form.is_valid() else {}
    now = timezone.now()
    deadline_count = None
    try:
        if filters.get("period"):
            deadline_count = ui_selectors.period_deadline_count(request.user, scope=scope, now=now, **filters)
        page = ui_selectors.queue_page(
            request.user,
            scope=scope,
            **filters,
            after=request.GET.get("after") or None,
            before=request.GET.get("before") or None,
            limit=QUEUE_PAGE_SIZE,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        filters = {k: v for k, v in filters.items() if k not in ("period", "due_window_name")}
        deadline_count = None
        page = ui_selectors.queue_page(request.user, scope=scope, **filters, limit=QUEUE_PAGE_SIZE)
    base = {k: v for k, v in request.GET.items() if k not in ("after", "before") and v}
    base["scope"] = scope
    next_url = f"?{urlencode({**base, 'after': page.next_cursor})}" if page.next_cursor else ""
    previous_url = f"?{urlencode({**base, 'before': page.previous_cursor})}" if page.previous_cursor else ""
    context = {
        "scopes": [(key, label, f"?{urlencode({**base, 'scope': key})}") for key, label in scopes],
        "scope": scope,
        "form": form,
        "tickets": page.rows,
        "deadline_count": deadline_count,
        "next_url": next_url,
        "previous_url": previous_url,
    }
    return render(request, "tickets/queue.html", context)


# ---------------------------------------------------------------- public tracking

TRACK_RATE = "30/h"


def track(request):
    """Any case by reference + phone: status, promised dates, replies; one answer for every mismatch."""
    from django_ratelimit.core import is_ratelimited

    case, not_found = None, False
    if request.method == "POST":
        rate = getattr(settings, "TRACKING_RATE", TRACK_RATE)
        try:
            limited = is_ratelimited(request, group="tickets.track.ip", key="ip", rate=rate, increment=True)
        except Exception:  # noqa: BLE001 - the cache is down: answer rather than refuse
            limited = False
        if limited:
            return render(request, "429.html", status=429)
        form = TrackForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            case = tracking.track_case(reference=data["reference"], phone=data["phone"])
            not_found = case is None
    else:
        form = TrackForm(initial={"reference": request.GET.get("reference", "")[:20]})
    response = render(request, "tickets/track.html", {"form": form, "case": case, "not_found": not_found})
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- public commitments


@require_GET
def commitments(request):
    """The published catalogue of service commitments, by category (public, no login)."""
    categories: dict[str, list] = {}
    for service_type in ui_selectors.published_catalogue():
        standards = list(service_type.standards.all())
        names = {s.code: local_name(s) for s in standards}
        categories.setdefault(service_type.get_category_display(), []).append(
            {
                "type": service_type,
                "name": local_name(service_type),
                "segments": [Segment(s).label for s in service_type.segments if s in Segment.values],
                "milestones": [
                    {
                        "name": local_name(s),
                        "promise": promise_text(s.amount, s.unit),
                        "after": names.get(s.starts_after, s.starts_after) if s.starts_after else "",
                        "segments": [Segment(x).label for x in s.segments if x in Segment.values],
                        "condition": s.get_condition_display() if s.condition else "",
                    }
                    for s in standards
                ],
            }
        )
    return render(request, "tickets/commitments.html", {"categories": categories.items()})
