"""The billing section of the customer page: `{% load billing_ui %}{% billing_section customer %}`."""

from decimal import Decimal

from django import template
from django.utils import timezone

from billing import selectors
from billing.permissions import may_handle_billing

register = template.Library()


@register.inclusion_tag("billing/customer_section.html", takes_context=True)
def billing_section(context, customer):
    request = context["request"]
    if not may_handle_billing(request.user, "retrieve"):
        return {"hidden": True}
    today = timezone.localdate()
    data = selectors.billing_of(customer, today=today)
    return {
        **data,
        "customer": customer,
        "today": today,
        "may_register": may_handle_billing(request.user, "create"),
        "request": request,
    }


@register.filter
def price(value) -> str:
    """A price per m³ without trailing zeros, at least to the fen: 2.5590 -> 2.559, 2.6500 -> 2.65."""
    if value in (None, ""):
        return ""
    amount = Decimal(str(value)).normalize()
    if amount.as_tuple().exponent > -2:
        amount = amount.quantize(Decimal("0.01"))
    return format(amount, "f")
