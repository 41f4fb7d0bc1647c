"""Reads shared by the complaint pages and the API: the worklist, one complaint, tracking, figures."""

import datetime
import re
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, OrgUnit
from accounts.selectors import branch_of
from accounts.visibility import is_unit_visible_to
from tickets.models import OPEN_STATUSES, Milestone, SlaState, Status
from tickets.selectors import sla_state_q
from tickets.tracking import public_replies

from .models import Complaint, ComplaintCategory, RootCause

REPLY_MILESTONES = ("reply", "feedback")
# What the complainant is promised, in their words (the staff milestone names are internal).
PUBLIC_STEP_LABELS = {
    "acknowledge": _("Acknowledgement"),
    "sign": _("Acknowledgement"),
    "reply": _("Answer"),
    "feedback": _("Answer"),
}


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def complaints_for(
    user,
    *,
    status: str = "",
    category: str = "",
    source: str = "",
    severity: str = "",
    repeat_only: bool = False,
    breached: bool = False,
    filed_by_me: bool = False,
    at_risk: bool = False,
    q: str = "",
):
    """The complaint worklist the user may see: open ones first by nearest deadline, then newest.

    `filed_by_me`: only the complaints the user filed, including those another unit handles.
    """
    base = (
        Complaint.objects.readable_by(user).filter(ticket__created_by=user)
        if filed_by_me
        else Complaint.objects.visible_to(user)
    )
    qs = base.select_related("ticket", "ticket__org_unit", "ticket__assignee", "category", "sub_category")
    if status == "open":
        qs = qs.filter(ticket__status__in=OPEN_STATUSES)
    elif status in Status.values:
        qs = qs.filter(ticket__status=status)
    if category:
        qs = qs.filter(Q(category__code=category) | Q(sub_category__code=category))
    if source:
        qs = qs.filter(source=source)
    if severity:
        qs = qs.filter(severity=severity)
    if repeat_only:
        qs = qs.filter(is_repeat=True)
    if breached:
        qs = qs.filter(sla_state_q(SlaState.BREACHED, timezone.now(), prefix="ticket__"))
    if at_risk:
        qs = qs.filter(sla_state_q(SlaState.AT_RISK, timezone.now(), prefix="ticket__"))
    if q:
        q = q.strip()
        qs = qs.filter(
            Q(ticket__reference__iexact=q)
            | Q(complainant_phone=q)
            | Q(ticket__hotline_order_no=q)
            | Q(account_no_given=q)
            | Q(customer__account_no=q)
        )
    return qs.order_by(F("ticket__next_due_at").asc(nulls_last=True), "-received_at", "-ticket_id")


def complaint_for(user, reference: str, *, readable: bool = False) -> Complaint:
    """One complaint the user may work on, by its ticket reference (raises Complaint.DoesNotExist).

    `readable` adds the complaints the user filed for another unit ("cases I filed", read only).
    """
    base = Complaint.objects.readable_by(user) if readable else Complaint.objects.visible_to(user)
    return base.select_related(
        "ticket",
        "ticket__org_unit",
        "ticket__assignee",
        "ticket__service_type",
        "ticket__customer",
        "category",
        "sub_category",
        "department_at_fault",
        "customer",
        "responded_by",
        "repeat_of__ticket",
    ).get(ticket__reference=reference)


def repeat_chain(complaint: Complaint) -> list[Complaint]:
    """Every complaint of the chain this one belongs to, oldest first (the first plus its repeats).

    For the rules that count repeats; what a person is shown is `repeat_chain_for`.
    """
    root_id = complaint.repeat_of_id or complaint.pk
    return list(
        Complaint.objects.filter(Q(pk=root_id) | Q(repeat_of_id=root_id))
        .select_related("ticket", "category")
        .order_by("received_at", "ticket_id")
    )


@dataclass(frozen=True)
class Chain:
    """The part of a repeat chain a viewer may read, and how many complaints of it are elsewhere."""

    complaints: list
    elsewhere: int


def repeat_chain_for(user, complaint: Complaint) -> Chain:
    """The repeat chain as `user` may see it: readable complaints, oldest first, and a count of the rest."""
    root_id = complaint.repeat_of_id or complaint.pk
    members = Complaint.objects.filter(Q(pk=root_id) | Q(repeat_of_id=root_id))
    shown = list(
        members.readable_by(user).select_related("ticket", "category").order_by("received_at", "ticket_id")
    )
    return Chain(complaints=shown, elsewhere=members.count() - len(shown))


def is_readable_by(user, complaint: Complaint) -> bool:
    """`readable_by` for one complaint in hand (its ticket and org unit loaded): no query."""
    return is_unit_visible_to(user, complaint.ticket.org_unit) or (
        user.is_authenticated and complaint.ticket.created_by_id == user.pk
    )


def is_workable_by(user, complaint: Complaint) -> bool:
    """`visible_to` for one complaint in hand: the steps are for its own unit's staff."""
    return is_unit_visible_to(user, complaint.ticket.org_unit)


def related_tickets(complaint: Complaint):
    return complaint.related_tickets.select_related("service_type").order_by("-received_at")


def milestones(complaint: Complaint):
    return complaint.ticket.milestones.order_by("sort_order", "id")


# ---------------------------------------------------------------- public tracking


@dataclass(frozen=True)
class PublicStatus:
    """What the complainant may see: no internal notes, no staff names."""

    reference: str
    stage: str
    stage_label: str
    status_label: str
    category: str
    received_at: datetime.datetime
    promised: list  # [(milestone name, due_at, met_at)]
    replies: list  # [(at, text)]


def track_complaint(*, reference: str, phone: str) -> PublicStatus | None:
    """The public status of a complaint, or None when the reference and phone do not match (same answer)."""
    reference = (reference or "").strip().upper()
    phone = _digits(phone)
    if not reference or len(phone) < 7:
        return None
    complaint = (
        Complaint.objects.select_related("ticket", "category").filter(ticket__reference=reference).first()
    )
    if complaint is None or _digits(complaint.complainant_phone) != phone:
        return None
    ticket = complaint.ticket
    promised = [
        (PUBLIC_STEP_LABELS.get(m.code, m.name), m.due_at, m.met_at)
        for m in ticket.milestones.filter(code__in=("acknowledge", "sign", *REPLY_MILESTONES)).order_by(
            "sort_order"
        )
    ]
    replies = public_replies(ticket)
    return PublicStatus(
        reference=ticket.reference,
        stage=complaint.stage,
        stage_label=complaint.get_stage_display(),
        status_label=ticket.get_status_display(),
        category=complaint.category.display_name,
        received_at=ticket.received_at,
        promised=promised,
        replies=replies,
    )


# ---------------------------------------------------------------- supervisor figures


def complaint_figures(user, *, start: datetime.datetime, end: datetime.datetime) -> dict:
    """Supervisor figures for complaints received in [start, end): each figure one aggregate query."""
    complaints = Complaint.objects.visible_to(user).filter(received_at__gte=start, received_at__lt=end)
    units = {u.code: u for u in OrgUnit.objects.all()}
    units_by_id = {u.pk: u for u in units.values()}

    # Complaints per 10,000 customers by branch: two grouped counts folded onto the branches.
    by_unit = complaints.values("ticket__org_unit").annotate(n=Count("pk")).order_by()
    customers_by_unit = (
        Customer.objects.visible_to(user)
        .filter(status=Customer.Status.ACTIVE)
        .values("outlet")
        .annotate(n=Count("pk"))
        .order_by()
    )
    branches: dict[int, dict] = {}
    for row in by_unit:
        branch = branch_of(units_by_id[row["ticket__org_unit"]], units)
        branches.setdefault(branch.pk, {"unit": branch, "complaints": 0, "customers": 0})["complaints"] += (
            row["n"]
        )
    for row in customers_by_unit:
        branch = branch_of(units_by_id[row["outlet"]], units)
        branches.setdefault(branch.pk, {"unit": branch, "complaints": 0, "customers": 0})["customers"] += row[
            "n"
        ]
    for row in branches.values():
        row["per_10k"] = round(row["complaints"] * 10000 / row["customers"], 2) if row["customers"] else None
    by_branch = sorted(branches.values(), key=lambda r: r["unit"].path)
    total_customers = sum(r["customers"] for r in by_branch)

    categories = {c.pk: c for c in ComplaintCategory.objects.filter(parent__isnull=True)}
    by_category = [
        {
            "category": categories.get(row["category"]),
            "complaints": row["n"],
            "per_10k": round(row["n"] * 10000 / total_customers, 2) if total_customers else None,
        }
        for row in complaints.values("category").annotate(n=Count("pk")).order_by("-n")
    ]
    by_month = [
        {
            "month": row["month"],
            "complaints": row["n"],
            "per_10k": round(row["n"] * 10000 / total_customers, 2) if total_customers else None,
        }
        for row in complaints.annotate(
            month=TruncMonth("received_at", tzinfo=timezone.get_current_timezone())
        )
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    ]

    # Answered within the promised time: reply (or 12345 feedback) milestones met on time / met.
    reply = Milestone.objects.filter(
        ticket__complaint__in=complaints, code__in=REPLY_MILESTONES, met_at__isnull=False
    ).aggregate(answered=Count("pk"), on_time=Count("pk", filter=Q(met_at__lte=F("due_at"))))
    on_time_share = round(reply["on_time"] * 100 / reply["answered"], 1) if reply["answered"] else None

    root_labels = dict(RootCause.choices)
    top_root_causes = [
        {
            "root_cause": row["root_cause"],
            "label": root_labels.get(row["root_cause"], row["root_cause"]),
            "complaints": row["n"],
        }
        for row in complaints.exclude(root_cause="")
        .values("root_cause")
        .annotate(n=Count("pk"))
        .order_by("-n")[:5]
    ]
    totals = complaints.aggregate(total=Count("pk"), repeats=Count("pk", filter=Q(is_repeat=True)))
    repeat_rate = round(totals["repeats"] * 100 / totals["total"], 1) if totals["total"] else None
    return {
        "start": start,
        "end": end,
        "total": totals["total"],
        "repeats": totals["repeats"],
        "repeat_rate": repeat_rate,
        "by_branch": by_branch,
        "by_category": by_category,
        "by_month": by_month,
        "answered": reply["answered"],
        "answered_on_time": reply["on_time"],
        "on_time_share": on_time_share,
        "top_root_causes": top_root_causes,
        "customers": total_customers,
    }


def complaint_count(
    *,
    unit_path: str,
    start: datetime.datetime,
    end: datetime.datetime,
    category: str = "",
    root_cause: str = "",
) -> int:
    """Complaints received in [start, end) by the units under `unit_path` (a category or sub-category
    code, a root cause: optional). For measures such as complaints per 10,000 customers."""
    qs = Complaint.objects.filter(
        ticket__org_unit__path__startswith=unit_path, received_at__gte=start, received_at__lt=end
    )
    if category:
        qs = qs.filter(Q(category__code=category) | Q(sub_category__code=category))
    if root_cause:
        qs = qs.filter(root_cause=root_cause)
    return qs.count()


def category_codes() -> set[str]:
    return set(ComplaintCategory.objects.values_list("code", flat=True))
