from django import template

from accounts.roles import is_supervisor as _is_supervisor

register = template.Library()


@register.filter
def is_supervisor(user) -> bool:
    return _is_supervisor(user)
