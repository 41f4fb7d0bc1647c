"""Complaint steps: file -> acknowledge -> (contact) -> investigate -> respond -> close | reopen.

Each function is one state change: keyword arguments, `now=` as the clock, one transaction,
a line on the ticket's timeline, and the milestone of the published standard it fulfils
(CMP-STD acknowledge/contact/reply/callback, CMP-SAFE dispatch/reply, H12345 sign/feedback/reply).
Messages to the complainant are notification rows written in the same transaction and
delivered after commit, so a failing SMS gateway never loses an acknowledgement.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import OrgUnit
from accounts.validators import is_mobile, validate_phone
from notifications.messages import at
from notifications.services import EMAIL, SMS, Address, Kind, notify
from tickets import services as ticket_services
from tickets.attachments import validate_attachment
from tickets.messages import subject_for
from tickets.models import Channel, Milestone, Priority, ServiceType, Status, Ticket

from . import messages, timeline
from .models import (
    REPEAT_WINDOW_DAYS,
    Complaint,
    ComplaintCategory,
    Remedy,
    RootCause,
    Severity,
    Source,
    normalize_address,
)

MAX_ATTACHMENTS = 3

SERVICE_TYPE_STANDARD = "CMP-STD"
SERVICE_TYPE_SAFETY = "CMP-SAFE"
SERVICE_TYPE_CITY_HOTLINE = "H12345"

# Which ticket channel a complaint source arrives through (media and regulators write to us).
SOURCE_CHANNEL = {
    Source.WEB: Channel.WEB,
    Source.SERVICE_HALL: Channel.SERVICE_HALL,
    Source.HOTLINE: Channel.HOTLINE,
    Source.CITY_HOTLINE: Channel.CITY_HOTLINE,
    Source.LETTER: Channel.LETTER,
    Source.MEDIA: Channel.LETTER,
    Source.REGULATOR: Channel.LETTER,
}
SEVERITY_PRIORITY = {
    Severity.LOW: Priority.LOW,
    Severity.MEDIUM: Priority.NORMAL,
    Severity.HIGH: Priority.HIGH,
    Severity.CRITICAL: Priority.URGENT,
}
PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]

# The milestone codes each step meets, first existing one wins (per service type).
ACKNOWLEDGE_MILESTONES = ("acknowledge", "sign")
CONTACT_MILESTONES = ("contact", "dispatch")
REPLY_MILESTONES = ("reply", "feedback")
CALLBACK_MILESTONES = ("callback",)

AMOUNT_REMEDIES = {Remedy.COMPENSATION, Remedy.BILL_CREDIT}


def raise_priority(priority: str) -> str:
    """One level up, never above urgent (a repeat complaint is handled sooner)."""
    index = PRIORITY_ORDER.index(Priority(priority))
    return PRIORITY_ORDER[min(index + 1, len(PRIORITY_ORDER) - 1)]


def service_type_code_for(*, source: str, category: ComplaintCategory) -> str:
    """12345 orders follow the hotline's standard; safety complaints the safety one; else the general one."""
    if source == Source.CITY_HOTLINE:
        return SERVICE_TYPE_CITY_HOTLINE
    if category.is_safety:
        return SERVICE_TYPE_SAFETY
    return SERVICE_TYPE_STANDARD


def find_earlier_complaint(*, customer, phone: str, address_key: str, received_at) -> Complaint | None:
    """The earliest complaint within the repeat window from the same account, phone or address."""
    match = Q(complainant_phone=phone)
    if customer is not None:
        match |= Q(customer=customer)
    if address_key:
        match |= Q(address_key=address_key)
    since = received_at - datetime.timedelta(days=REPEAT_WINDOW_DAYS)
    return (
        Complaint.objects.filter(match, received_at__gte=since, received_at__lte=received_at)
        .exclude(ticket__status=Status.CANCELLED)
        .order_by("received_at", "ticket_id")
        .only("ticket_id", "repeat_of_id", "received_at")
        .first()
    )


def _meet_first(*, ticket, codes, actor, now) -> Milestone | None:
    """Meet the first open milestone among `codes` (a service type has at most one of each step)."""
    open_codes = {m.code: m for m in ticket.milestones.filter(code__in=codes, met_at__isnull=True)}
    for code in codes:
        if code in open_codes:
            return ticket_services.meet_milestone(ticket=ticket, code=code, actor=actor, now=now)
    return None


def tracking_url(reference: str) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{reverse('complaints:track')}?reference={reference}"


def _notify_complainant(*, complaint, template, params, now) -> list:
    """SMS to the complainant's mobile (and email when given), written in the complaint's
    transaction and delivered after commit; the delivery run retries while the gateway fails."""
    addresses = []
    if is_mobile(complaint.complainant_phone):  # a landline cannot take an SMS; the handler calls instead
        addresses.append(Address(SMS, complaint.complainant_phone))
    if complaint.complainant_email:
        addresses.append(Address(EMAIL, complaint.complainant_email))
    ticket = complaint.ticket
    return notify(
        recipients=addresses,
        kind=Kind.COMPLAINT,
        template=template,
        params={"url": tracking_url(ticket.reference), **params},
        subject=subject_for(ticket),
        now=now,
    )


def _promised_reply(ticket) -> Milestone | None:
    return ticket.milestones.filter(code__in=REPLY_MILESTONES).order_by("sort_order").first()


@transaction.atomic
def file_complaint(
    *,
    source: str,
    category: ComplaintCategory,
    description: str,
    complainant_name: str,
    complainant_phone: str,
    now: datetime.datetime,
    actor=None,
    sub_category: ComplaintCategory | None = None,
    severity: str = Severity.MEDIUM,
    complainant_address: str = "",
    complainant_email: str = "",
    customer=None,
    account_no_given: str = "",
    requested_remedy: str = "",
    consent_at: datetime.datetime | None = None,
    received_at: datetime.datetime | None = None,
    hotline_order_no: str = "",
    hotline_due_at: datetime.datetime | None = None,
    attachments=(),
) -> Complaint:
    """Receive a complaint from any channel: a ticket with its deadlines, the file, the acknowledgement.

    `actor` is None for the public web form. A complaint from the same account, phone or address
    within 90 days is linked to the first of that chain and raised one priority level.
    """
    errors = {}
    description = (description or "").strip()
    complainant_name = (complainant_name or "").strip()
    complainant_phone = (complainant_phone or "").strip()
    if source not in Source.values:
        errors["source"] = _("Choose where the complaint came from.")
    if not description:
        errors["description"] = _("Describe what the complaint is about.")
    if not complainant_name:
        errors["complainant_name"] = _("Enter the complainant's name.")
    if not complainant_phone:
        errors["complainant_phone"] = _("Enter a phone number we can reach the complainant on.")
    try:
        validate_phone(complainant_phone)
    except ValidationError as exc:
        errors["complainant_phone"] = exc.messages
    if category is None or category.parent_id is not None or not category.is_active:
        errors["category"] = _("Choose a complaint category.")
    elif sub_category is not None and sub_category.parent_id != category.pk:
        errors["sub_category"] = _("This sub-category does not belong to the chosen category.")
    if severity not in Severity.values:
        errors["severity"] = _("Choose a severity.")
    if source == Source.CITY_HOTLINE and not (hotline_order_no or "").strip():
        errors["hotline_order_no"] = _("A 12345 order needs the hotline's order number.")
    if source != Source.CITY_HOTLINE and (hotline_order_no or hotline_due_at):
        errors["hotline_order_no"] = _("Only a 12345 order has a hotline order number and deadline.")
    if source == Source.WEB and consent_at is None:
        errors["consent"] = _("The complainant must consent to the processing of their personal information.")
    try:
        # Checked before the repeat search, whose 90-day window would reach before year 1.
        ticket_services.check_received_at(received_at, now)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if len(attachments) > MAX_ATTACHMENTS:
        errors["attachments"] = _("Attach at most %(count)d files.") % {"count": MAX_ATTACHMENTS}
    if errors:
        raise ValidationError(errors)
    for upload in attachments:
        try:
            validate_attachment(upload)
        except ValidationError as exc:
            raise ValidationError({"attachments": [f"{upload.name}: {m}" for m in exc.messages]}) from None

    received_at = received_at or now
    address_key = normalize_address(complainant_address)
    earlier = find_earlier_complaint(
        customer=customer, phone=complainant_phone, address_key=address_key, received_at=received_at
    )
    priority = SEVERITY_PRIORITY[Severity(severity)]
    if earlier is not None:
        priority = raise_priority(priority)
    service_type = ServiceType.objects.get(code=service_type_code_for(source=source, category=category))
    ticket = ticket_services.create_ticket(
        service_type=service_type,
        channel=SOURCE_CHANNEL[Source(source)],
        description=description,
        actor=actor,
        now=now,
        customer=customer,
        contact_name=complainant_name,
        contact_phone=complainant_phone,
        contact_address=complainant_address,
        received_at=received_at,
        priority=priority,
        account_no=account_no_given,
        hotline_order_no=(hotline_order_no or "").strip(),
        hotline_due_at=hotline_due_at,
        is_safety_or_supply=category.is_safety or category.is_supply,
    )
    complaint = Complaint.objects.create(
        ticket=ticket,
        category=category,
        sub_category=sub_category,
        severity=severity,
        source=source,
        customer=customer,
        complainant_name=complainant_name,
        complainant_phone=complainant_phone,
        complainant_email=(complainant_email or "").strip(),
        complainant_address=(complainant_address or "").strip(),
        account_no_given=(account_no_given or "").strip(),
        requested_remedy=(requested_remedy or "").strip(),
        consent_at=consent_at,
        received_at=received_at,
        is_repeat=earlier is not None,
        repeat_of_id=(earlier.repeat_of_id or earlier.pk) if earlier is not None else None,
    )
    ticket_services.record_step(
        ticket=ticket,
        step=timeline.FILED,
        actor=actor,
        now=now,
        params={
            "category": category.code,
            "source": source,
            "severity": severity,
            "is_repeat": complaint.is_repeat,
            "repeat_of": earlier
            and Ticket.objects.values_list("reference", flat=True).get(pk=complaint.repeat_of_id),
        },
    )
    for upload in attachments:
        ticket_services.add_attachment(ticket=ticket, file=upload, actor=actor, now=now, is_public=True)
    reply = _promised_reply(ticket)
    _notify_complainant(
        complaint=complaint,
        template=messages.RECEIVED,
        now=now,
        params={"due": at(reply.due_at) if reply is not None else ""},
    )
    return complaint


def _require_open(complaint: Complaint) -> None:
    if not complaint.ticket.is_open and complaint.ticket.status != Status.RESOLVED:
        raise ValidationError(
            _("This complaint is %(status)s; reopen it first.")
            % {"status": complaint.ticket.get_status_display()}
        )


def _lock(complaint: Complaint) -> Complaint:
    """Re-read the complaint and its ticket under a row lock: two clerks cannot both take a step."""
    return Complaint.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=complaint.pk)


@transaction.atomic
def acknowledge_complaint(*, complaint: Complaint, actor, now, note: str = "") -> Complaint:
    """The complainant has been told we have it (ISO 10002 acknowledgement); meets acknowledge / sign."""
    complaint = _lock(complaint)
    _require_open(complaint)
    if complaint.acknowledged_at:
        raise ValidationError(_("This complaint was already acknowledged."))
    complaint.acknowledged_at = now
    complaint.save(update_fields=["acknowledged_at"])
    ticket = complaint.ticket
    if ticket.status == Status.NEW:
        ticket = complaint.ticket = ticket_services.accept_ticket(ticket=ticket, actor=actor, now=now)
    _meet_first(ticket=ticket, codes=ACKNOWLEDGE_MILESTONES, actor=actor, now=now)
    ticket_services.record_step(ticket=ticket, step=timeline.ACKNOWLEDGED, actor=actor, now=now, note=note)
    return complaint


@transaction.atomic
def record_contact(*, complaint: Complaint, note: str, actor, now) -> Complaint:
    """First contact with the complainant: a call (CMP-STD contact) or a person sent (CMP-SAFE dispatch)."""
    complaint = _lock(complaint)
    _require_open(complaint)
    if not (note or "").strip():
        raise ValidationError({"note": _("Say how and with whom the complainant was contacted.")})
    complaint.contacted_at = complaint.contacted_at or now
    complaint.save(update_fields=["contacted_at"])
    _meet_first(ticket=complaint.ticket, codes=CONTACT_MILESTONES, actor=actor, now=now)
    ticket_services.record_step(
        ticket=complaint.ticket, step=timeline.CONTACTED, actor=actor, now=now, note=note
    )
    return complaint


@transaction.atomic
def record_investigation(
    *,
    complaint: Complaint,
    findings: str,
    is_substantiated: bool | None,
    root_cause: str,
    actor,
    now,
    department_at_fault: OrgUnit | None = None,
) -> Complaint:
    """What the investigation found: substantiated or not, the root cause and the department at fault."""
    complaint = _lock(complaint)
    _require_open(complaint)
    errors = {}
    if not complaint.acknowledged_at:
        errors["__all__"] = _("Acknowledge the complaint before recording the investigation.")
    if not (findings or "").strip():
        errors["findings"] = _("Write down what the investigation found.")
    if is_substantiated is None:
        errors["is_substantiated"] = _("Say whether the complaint is substantiated.")
    if root_cause not in RootCause.values:
        errors["root_cause"] = _("Choose the root cause.")
    if is_substantiated and department_at_fault is None:
        errors["department_at_fault"] = _("A substantiated complaint names the department at fault.")
    if errors:
        raise ValidationError(errors)
    complaint.findings = findings.strip()
    complaint.is_substantiated = is_substantiated
    complaint.root_cause = root_cause
    complaint.department_at_fault = department_at_fault
    complaint.investigated_at = now
    complaint.save(
        update_fields=["findings", "is_substantiated", "root_cause", "department_at_fault", "investigated_at"]
    )
    ticket = complaint.ticket
    if ticket.status in (Status.NEW, Status.ACCEPTED, Status.ASSIGNED):
        ticket = complaint.ticket = ticket_services.start_work(ticket=ticket, actor=actor, now=now)
    ticket_services.record_step(
        ticket=ticket,
        step=timeline.INVESTIGATED,
        actor=actor,
        now=now,
        params={
            "is_substantiated": is_substantiated,
            "root_cause": root_cause,
            "department_at_fault": department_at_fault.code if department_at_fault else None,
        },
    )
    return complaint


@transaction.atomic
def respond_to_complaint(
    *,
    complaint: Complaint,
    response_text: str,
    remedy: str,
    actor,
    now,
    remedy_amount: Decimal | None = None,
) -> Complaint:
    """Send the answer: recorded exactly as sent, a public reply on the timeline, meets reply / feedback."""
    complaint = _lock(complaint)
    _require_open(complaint)
    errors = {}
    if not complaint.acknowledged_at:
        errors["__all__"] = _("Acknowledge the complaint before answering it.")
    if complaint.responded_at:
        errors["__all__"] = _("This complaint has been answered already; reopen it to answer again.")
    if not (response_text or "").strip():
        errors["response_text"] = _("Write the answer to send to the complainant.")
    if remedy not in Remedy.values:
        errors["remedy"] = _("Choose the remedy offered (or none).")
    elif remedy in AMOUNT_REMEDIES and (remedy_amount is None or remedy_amount <= 0):
        errors["remedy_amount"] = _("Compensation and bill credits need an amount above zero.")
    elif remedy not in AMOUNT_REMEDIES and remedy_amount:
        errors["remedy_amount"] = _("Only compensation and bill credits have an amount.")
    if errors:
        raise ValidationError(errors)
    # Exactly what was sent: no stripping inside the text, only the surrounding blank lines.
    complaint.response_text = response_text.strip("\n\r ")
    complaint.remedy = remedy
    complaint.remedy_amount = remedy_amount if remedy in AMOUNT_REMEDIES else None
    complaint.responded_at = now
    complaint.responded_by = actor
    complaint.save(update_fields=["response_text", "remedy", "remedy_amount", "responded_at", "responded_by"])
    ticket = complaint.ticket
    # The answer goes out below, worded for a complaint: the reply itself sends nothing.
    ticket_services.add_reply(ticket=ticket, text=complaint.response_text, actor=actor, now=now, notify=False)
    _meet_first(ticket=ticket, codes=REPLY_MILESTONES, actor=actor, now=now)
    ticket_services.record_step(
        ticket=ticket,
        step=timeline.ANSWERED,
        actor=actor,
        now=now,
        params={
            "remedy": remedy,
            "remedy_amount": str(complaint.remedy_amount) if complaint.remedy_amount is not None else None,
        },
    )
    if ticket.status in (Status.NEW, Status.ACCEPTED, Status.ASSIGNED):
        ticket = ticket_services.start_work(ticket=ticket, actor=actor, now=now)
    if ticket.status == Status.IN_PROGRESS:
        ticket = ticket_services.resolve_ticket(ticket=ticket, actor=actor, now=now)
    complaint.ticket = ticket
    _notify_complainant(
        complaint=complaint, template=messages.ANSWERED, now=now, params={"answer": complaint.response_text}
    )
    return complaint


@transaction.atomic
def close_complaint(
    *, complaint: Complaint, customer_accepted: bool, actor, now, note: str = ""
) -> Complaint:
    """The callback: the complainant accepts the answer (or, noted, does not but nothing more can be done)."""
    complaint = _lock(complaint)
    if not complaint.responded_at:
        raise ValidationError(_("Answer the complaint before closing it."))
    if complaint.closed_at:
        raise ValidationError(_("This complaint is closed already."))
    if not customer_accepted and not (note or "").strip():
        raise ValidationError(
            {
                "note": _(
                    "Explain why the complaint is closed although the customer does not "
                    "accept the answer (or reopen it as an appeal)."
                )
            }
        )
    complaint.closed_at = now
    complaint.customer_accepted = customer_accepted
    complaint.save(update_fields=["closed_at", "customer_accepted"])
    ticket = complaint.ticket
    _meet_first(ticket=ticket, codes=CALLBACK_MILESTONES, actor=actor, now=now)
    ticket_services.record_step(
        ticket=ticket,
        step=timeline.CLOSED,
        actor=actor,
        now=now,
        note=note,
        params={"customer_accepted": customer_accepted},
    )
    if ticket.status == Status.IN_PROGRESS:
        ticket = ticket_services.resolve_ticket(ticket=ticket, actor=actor, now=now)
    if ticket.status == Status.RESOLVED:
        ticket = ticket_services.close_ticket(ticket=ticket, actor=actor, now=now)
    complaint.ticket = ticket
    return complaint


@transaction.atomic
def reopen_complaint(*, complaint: Complaint, reason: str, actor, now) -> Complaint:
    """An appeal: the complainant does not accept the answer; the complaint needs a new one."""
    complaint = _lock(complaint)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the appeal.")})
    if not complaint.responded_at:
        raise ValidationError(_("Only an answered complaint can be reopened."))
    ticket = complaint.ticket
    if ticket.status in (Status.RESOLVED, Status.CLOSED):
        # The ticket keeps a short reason; the complaint file keeps the appeal in full.
        ticket = ticket_services.reopen_ticket(
            ticket=ticket, reason=reason.strip()[:200], actor=actor, now=now
        )
        complaint.ticket = ticket
    complaint.reopen_count += 1
    complaint.appeal_reason = reason.strip()
    complaint.responded_at = None
    complaint.closed_at = None
    complaint.customer_accepted = None
    complaint.save(
        update_fields=["reopen_count", "appeal_reason", "responded_at", "closed_at", "customer_accepted"]
    )
    ticket_services.record_step(
        ticket=ticket,
        step=timeline.REOPENED,
        actor=actor,
        now=now,
        note=reason,
        params={"reopen_count": complaint.reopen_count},
    )
    return complaint


@transaction.atomic
def link_related(*, complaint: Complaint, ticket: Ticket, actor, now) -> Complaint:
    """Link the service ticket or billing dispute this complaint is about."""
    if ticket.pk == complaint.pk:
        raise ValidationError({"ticket": _("A complaint cannot be related to itself.")})
    if complaint.related_tickets.filter(pk=ticket.pk).exists():
        raise ValidationError(
            {"ticket": _("%(reference)s is linked already.") % {"reference": ticket.reference}}
        )
    complaint.related_tickets.add(ticket)
    ticket_services.record_step(
        ticket=complaint.ticket,
        step=timeline.LINKED,
        actor=actor,
        now=now,
        params={"ticket": ticket.reference},
    )
    return complaint
