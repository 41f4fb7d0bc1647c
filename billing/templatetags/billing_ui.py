"""Billing template filters."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def price(value) -> str:
    """A price per m³ without trailing zeros, at least to the fen: 2.5590 -> 2.559, 2.6500 -> 2.65."""
    if value in (None, ""):
        return ""
    amount = Decimal(str(value)).normalize()
    if amount.as_tuple().exponent > -2:
        amount = amount.quantize(Decimal("0.01"))
    return format(amount, "f")
