"""Staff pages of billing: the bill explanation, disputes (register, steps, re-bill comparison), imports."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Customer
from accounts.roles import may_exchange_with_billing_system
from gasservice.forms import apply_service_errors

from . import charts, imports, selectors, services
from .forms import (
    DisputeForm,
    EmptyForm,
    FindingForm,
    ImportForm,
    InformForm,
    MeterReplacementForm,
    MeterTestForm,
    ProposeForm,
    RereadForm,
)
from .models import Adjustment, Bill, Dispute, ImportRun, MeterReplacement, Step
from .permissions import may_handle_billing

# step -> (form, permission step name)
STEP_FORMS = {
    "order_check": EmptyForm,
    "reread": RereadForm,
    "meter_test": MeterTestForm,
    "replace_meter": MeterReplacementForm,
    "finding": FindingForm,
    "propose": ProposeForm,
    "approve": EmptyForm,
    "apply": EmptyForm,
    "withdraw": ProposeForm,
    "inform": InformForm,
}


def _require(user, step=None):
    if not may_handle_billing(user, step):
        raise PermissionDenied(_("Billing disputes are handled by service staff."))


@login_required
def bill_explain(request, external_id):
    """A bill line by line, in words the front desk reads out; prints on one page."""
    _require(request.user, "retrieve")
    bill = get_object_or_404(
        Bill.objects.visible_to(request.user).select_related(
            "customer__category", "meter", "plan", "opening_reading", "closing_reading"
        ),
        external_id=external_id,
    )
    usage = selectors.cycle_usage_before(bill.customer, bill.period_start, exclude_bills=[bill.pk])
    lines = []
    for line in bill.lines.all():
        before = usage.get(line.cycle)
        lines.append({"line": line, "before": before, "after": before + line.volume_m3})
        usage.add(line.cycle, line.volume_m3)
    plan = bill.plan
    context = {
        "bill": bill,
        "lines": lines,
        "plan": plan,
        "prices": plan.prices.order_by("-effective_from", "season", "tier"),
        "holds": selectors.open_disputes_of([bill.pk]).get(bill.pk, []),
        "late_fee_today": selectors.late_fee_due(bill, on=timezone.localdate()),
        "today": timezone.localdate(),
    }
    return render(request, "billing/bill_explain.html", context)


@login_required
def dispute_new(request, account_no):
    _require(request.user, "create")
    customer = get_object_or_404(Customer.objects.visible_to(request.user), account_no=account_no)
    initial_bill = request.GET.get("bill")
    form = DisputeForm(
        request.POST or None,
        customer=customer,
        initial={
            "bills": list(Bill.objects.filter(customer=customer, external_id=initial_bill))
            if initial_bill
            else []
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            dispute = services.register_dispute(
                customer=customer,
                kind=form.cleaned_data["kind"],
                bills=form.cleaned_data["bills"],
                description=form.cleaned_data["description"],
                channel="service_hall",
                actor=request.user,
                now=timezone.now(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("billing:dispute_detail", dispute.reference)
    return render(request, "billing/dispute_new.html", {"customer": customer, "form": form})


def _dispute(request, reference):
    return get_object_or_404(
        Dispute.objects.visible_to(request.user).select_related(
            "ticket__org_unit", "customer", "check_ticket", "disputed_reading__meter", "corrected_reading"
        ),
        ticket__reference=reference,
    )


def _comparison(dispute):
    """The re-bill shown: the waiting or applied adjustment's lines, else what re-billing gives now."""
    adjustment = (
        dispute.adjustments.exclude(status=Adjustment.Status.WITHDRAWN).order_by("-proposed_at").first()
    )
    if adjustment is not None:
        rows = [
            {
                "bill": line.bill,
                "old_volume": line.old_volume_m3,
                "new_volume": line.new_volume_m3,
                "old_amount": line.old_amount,
                "new_amount": line.new_amount,
                "difference": line.difference,
                "old_lines": list(line.bill.lines.all()),
                "new_lines": line.new_lines,
            }
            for line in adjustment.lines.select_related("bill").prefetch_related("bill__lines")
        ]
        return adjustment, rows, adjustment.amount
    if dispute.corrected_reading_id is None and dispute.meter_error_pct is None:
        return None, [], None
    rebill = services.rebill_dispute(dispute)
    data = services.rebill_as_json(rebill)
    rows = [
        {
            "bill": b.bill,
            "old_volume": b.old_volume,
            "new_volume": b.new.volume,
            "old_amount": b.old_amount,
            "new_amount": b.new.amount,
            "difference": b.difference,
            "old_lines": list(b.bill.lines.all()),
            "new_lines": d["new"]["lines"],
        }
        for b, d in zip(rebill.bills, data["bills"], strict=True)
    ]
    return None, rows, rebill.total_difference


def _actions(dispute, adjustment, user, replacement=None):
    """The steps open now, in order (each a small form on the page)."""
    if not dispute.is_open:
        return []
    steps = []
    if (
        dispute.check_ticket_id is None
        and dispute.corrected_reading_id is None
        and dispute.meter_error_pct is None
    ):
        steps.append("order_check")
    if dispute.disputed_reading_id and dispute.corrected_reading_id is None and dispute.kind != "meter_fault":
        steps.append("reread")
    if dispute.kind == "meter_fault" and dispute.meter_error_pct is None:
        steps.append("meter_test")
    if replacement is not None and not replacement.is_done:
        steps.append("replace_meter")
    if adjustment is None:
        steps.append("finding")
    if adjustment is None or adjustment.status == Adjustment.Status.APPLIED:
        if adjustment is None and (dispute.corrected_reading_id or dispute.meter_error_pct is not None):
            steps.append("propose")
    elif adjustment.status == Adjustment.Status.PROPOSED and adjustment.proposed_by_id != user.pk:
        steps.append("approve")
    elif adjustment.status == Adjustment.Status.APPROVED:
        steps.append("apply")
    if adjustment is not None and adjustment.status in (
        Adjustment.Status.PROPOSED,
        Adjustment.Status.APPROVED,
    ):
        steps.append("withdraw")
    if adjustment is None or adjustment.status == Adjustment.Status.APPLIED:
        steps.append("inform")
    return [s for s in steps if may_handle_billing(user, s)]


STEP_TITLES = {
    "order_check": gettext_lazy("Order the re-read or meter test"),
    "reread": gettext_lazy("Record the re-read"),
    "meter_test": gettext_lazy("Record the meter test"),
    "replace_meter": gettext_lazy("Record the meter replacement (no cost)"),
    "finding": gettext_lazy("Record the finding"),
    "propose": gettext_lazy("Propose the adjustment"),
    "approve": gettext_lazy("Approve the adjustment"),
    "apply": gettext_lazy("Apply the adjustment"),
    "withdraw": gettext_lazy("Withdraw the adjustment"),
    "inform": gettext_lazy("Inform the customer and close"),
}


def _waiting_adjustment(dispute):
    adjustment = (
        dispute.adjustments.filter(status__in=[Adjustment.Status.PROPOSED, Adjustment.Status.APPROVED])
        .order_by("-proposed_at")
        .first()
    )
    if adjustment is None:
        raise ValidationError(_("This dispute has no adjustment waiting."))
    return adjustment


def _render_dispute(request, dispute, *, failed=None, failed_form=None, status=200):
    adjustment, rows, total = _comparison(dispute)
    replacement = (
        MeterReplacement.objects.filter(dispute=dispute).select_related("old_meter", "new_meter").first()
    )
    actions = []
    for step in _actions(dispute, adjustment, request.user, replacement):
        form = failed_form if step == failed else STEP_FORMS[step](prefix=step)
        actions.append({"step": step, "title": STEP_TITLES[step], "form": form, "failed": step == failed})
    chart = charts.bar_chart(
        [(r["bill"].period_start.strftime("%Y-%m"), r["old_amount"], r["new_amount"]) for r in rows]
    )
    context = {
        "dispute": dispute,
        "ticket": dispute.ticket,
        "events": dispute.events.select_related("actor"),
        "milestones": dispute.ticket.milestones.order_by("sort_order", "id"),
        "bills": dispute.bills.order_by("period_start"),
        "adjustment": adjustment,
        "replacement": replacement,
        "rows": rows,
        "total": total,
        "chart": chart,
        "actions": actions,
        "own_proposal": adjustment is not None
        and adjustment.status == Adjustment.Status.PROPOSED
        and adjustment.proposed_by_id == request.user.pk,
        "steps": Step,
    }
    return render(request, "billing/dispute_detail.html", context, status=status)


@login_required
def dispute_detail(request, reference):
    _require(request.user, "retrieve")
    return _render_dispute(request, _dispute(request, reference))


@login_required
@require_POST
def dispute_step(request, reference, step):
    if step not in STEP_FORMS:
        raise PermissionDenied(_("Unknown step."))
    _require(request.user, step)
    dispute = _dispute(request, reference)
    form = STEP_FORMS[step](request.POST, prefix=step)
    if form.is_valid():
        now = timezone.now()
        data = form.cleaned_data
        try:
            if step == "order_check":
                services.order_check(dispute=dispute, actor=request.user, now=now)
            elif step == "reread":
                services.record_reread(
                    dispute=dispute,
                    read_on=data["read_on"],
                    value_m3=data["value_m3"],
                    actor=request.user,
                    now=now,
                )
            elif step == "meter_test":
                services.record_meter_test(
                    dispute=dispute, error_pct=data["error_pct"], actor=request.user, now=now
                )
            elif step == "replace_meter":
                services.record_meter_replacement(
                    dispute=dispute,
                    new_serial=data["new_serial"],
                    replaced_on=data["replaced_on"],
                    actor=request.user,
                    now=now,
                )
            elif step == "finding":
                services.record_finding(dispute=dispute, finding=data["finding"], actor=request.user, now=now)
            elif step == "propose":
                services.propose_adjustment(
                    dispute=dispute, reason=data["reason"], actor=request.user, now=now
                )
            elif step in ("approve", "apply"):
                adjustment = (
                    dispute.adjustments.exclude(status=Adjustment.Status.WITHDRAWN)
                    .order_by("-proposed_at")
                    .first()
                )
                if adjustment is None:
                    raise ValidationError(_("This dispute has no adjustment yet."))
                change = services.approve_adjustment if step == "approve" else services.apply_adjustment
                change(adjustment=adjustment, actor=request.user, now=now)
            elif step == "withdraw":
                adjustment = _waiting_adjustment(dispute)
                services.withdraw_adjustment(
                    adjustment=adjustment, reason=data["reason"], actor=request.user, now=now
                )
            elif step == "inform":
                services.inform_customer(
                    dispute=dispute, channel=data["channel"], actor=request.user, now=now
                )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("billing:dispute_detail", dispute.reference)
    dispute = _dispute(request, reference)
    return _render_dispute(request, dispute, failed=step, failed_form=form, status=400)


@login_required
def import_list(request):
    if not may_exchange_with_billing_system(request.user):
        raise PermissionDenied(_("Only administrators exchange files with the billing system."))
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            run, _background = imports.start_import(
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                actor=request.user,
                now=timezone.now(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("billing:import_detail", run.pk)
    runs = ImportRun.objects.select_related("created_by")[:20]
    return render(
        request, "billing/import_list.html", {"form": form, "runs": runs, "columns": imports.COLUMNS}
    )


@login_required
def import_detail(request, pk):
    if not may_exchange_with_billing_system(request.user):
        raise PermissionDenied(_("Only administrators exchange files with the billing system."))
    run = get_object_or_404(ImportRun, pk=pk)
    return render(request, "billing/import_detail.html", {"run": run, "refusals": run.refusals.all()[:500]})
