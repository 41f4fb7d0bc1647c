"""Template filters that mask personal data: {{ customer.mobile|mask_phone }}."""

from django import template

from accounts import masking

register = template.Library()
register.filter("mask_phone", masking.mask_phone)
register.filter("mask_id_number", masking.mask_id_number)
register.filter("mask_name", masking.mask_name)
