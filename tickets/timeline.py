"""The timeline in the reader's language: events are stored as a kind with parameters (codes,
usernames, times); here they become sentences with people's full names, unit names and milestone
names, in the language of the page that shows them."""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import OrgUnit

from .models import Channel, Status, TicketEvent
from .templatetags.tickets_ui import local_name

Kind = TicketEvent.Kind


def _time(value) -> str:
    at = parse_datetime(value) if isinstance(value, str) else value
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if isinstance(at, datetime.datetime) else "—"


def _status(value) -> str:
    return str(Status(value).label) if value in Status.values else (value or "—")


class _Names:
    """People, units and milestones named in a page's events, each kind read in one query."""

    def __init__(self, ticket, events):
        usernames, units = set(), set()
        for e in events:
            data = e.data or {}
            if e.kind == Kind.ASSIGNED:
                usernames |= {data.get("before"), data.get("after")}
            elif e.kind == Kind.TRANSFERRED:
                units |= {data.get("before"), data.get("after")}
            elif e.kind == Kind.CREATED:
                units.add(data.get("org_unit"))
        usernames.discard(None)
        units.discard(None)
        self.people = (
            {
                u.get_username(): u.get_full_name() or u.get_username()
                for u in get_user_model().objects.filter(username__in=usernames)
            }
            if usernames
            else {}
        )
        self.units = dict(OrgUnit.objects.filter(code__in=units).values_list("code", "name")) if units else {}
        self.milestones = {m.code: local_name(m) for m in ticket.milestones.all()}

    def person(self, username):
        return self.people.get(username, username) if username else _("nobody")

    def unit(self, code):
        return self.units.get(code, code) if code else "—"

    def milestone(self, code):
        return self.milestones.get(code, code)


def _summary(e, names: _Names) -> str:
    data = e.data or {}
    if e.kind in (Kind.STATUS, Kind.PAUSED, Kind.RESUMED):
        text = f"{_status(data.get('before'))} → {_status(data.get('after'))}"
        met = [names.milestone(m.get("code")) for m in data.get("milestones_met", [])]
        if met:
            text += " · " + _("met: %(milestones)s") % {"milestones": "、".join(met)}
        return text
    if e.kind == Kind.ASSIGNED:
        return f"{names.person(data.get('before'))} → {names.person(data.get('after'))}"
    if e.kind == Kind.MILESTONE_MET:
        return _("%(milestone)s met at %(met)s (due %(due)s)") % {
            "milestone": names.milestone(data.get("code")),
            "met": _time(data.get("met_at")),
            "due": _time(data.get("due_at")),
        }
    if e.kind == Kind.TRANSFERRED:
        return f"{names.unit(data.get('before'))} → {names.unit(data.get('after'))}"
    if e.kind == Kind.CREATED:
        channel = data.get("channel")
        parts = [str(Channel(channel).label) if channel in Channel.values else ""]
        if data.get("org_unit"):
            parts.append(_("to %(unit)s") % {"unit": names.unit(data["org_unit"])})
        if data.get("needs_routing"):
            parts.append(_("needs routing"))
        return " · ".join(p for p in parts if p)
    if e.kind in (Kind.DEADLINE, Kind.RECEIVED_AT):
        moved = data.get("milestones") or ([data] if data.get("code") else [])
        return "；".join(
            f"{names.milestone(m.get('code'))}: {_time(m.get('before'))} → {_time(m.get('after'))}"
            for m in moved
        )
    return ""


def timeline_rows(ticket, events) -> list[tuple]:
    """(event, summary) pairs for a ticket page: the summary in the active language."""
    events = list(events)
    names = _Names(ticket, events)
    return [(e, _summary(e, names)) for e in events]
