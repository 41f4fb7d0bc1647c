"""Billing's part of a customer's page: meters, readings and bills with lines, holds, disputes."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import selectors
from .permissions import may_handle_billing


def billing_section(request, customer) -> str:
    if not may_handle_billing(request.user, "retrieve"):
        return ""
    today = timezone.localdate()
    context = {
        **selectors.billing_of(customer, today=today),
        "customer": customer,
        "today": today,
        "may_register": may_handle_billing(request.user, "create"),
    }
    return render_to_string("billing/customer_section.html", context, request=request)


def new_dispute_action(request, customer):
    if not may_handle_billing(request.user, "create") or not customer.bills.exists():
        return None
    return _("Register a billing dispute"), reverse("billing:dispute_new", args=[customer.account_no])
