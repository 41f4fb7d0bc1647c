"""Small display helpers for the dashboards: rates, durations in their units, score colours."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from tickets.models import Unit

from ..scorecards import verdict

register = template.Library()


@register.simple_tag
def rate(value):
    if value is None:
        return format_html('<span class="muted" title="{}">—</span>', _("nothing counted"))
    return format_html("{}%", value)


def _number(value):
    return "—" if value is None else f"{value:g}"


@register.simple_tag
def durations(tally):
    """One line per unit: median / p90 of the time taken, and the median lateness of the late ones."""
    rows = tally.durations()
    if not rows:
        return mark_safe('<span class="muted">—</span>')
    return format_html_join(
        "",
        "<div>{} / {} {}{}</div>",
        (
            (
                _number(d["taken_median"]),
                _number(d["taken_p90"]),
                Unit(d["unit"]).label,
                format_html('<span class="late"> ({} {})</span>', _("late by"), _number(d["late_median"]))
                if d["late_median"] is not None
                else "",
            )
            for d in rows
        ),
    )


@register.simple_tag
def score(s):
    label = verdict(s)
    actual = "—" if s.actual is None else s.actual
    target = "—" if s.target is None else s.target.value
    return format_html(
        '<span class="score score-{}" title="{}"><b>{}</b> {} / {} {}</span>',
        s.colour,
        label,
        label,
        actual,
        _("target"),
        target,
    )
