"""The timeline in the reader's language: events are stored as a kind with parameters (codes,
usernames, times); here they become sentences with people's full names, unit names and milestone
names, in the language of the page that shows them.

The apps above tickets record their own steps (a complaint answered, a dispute's check ordered)
as a code with parameters through `services.record_step`; each registers the step's title and
summary here (`register_step`) and the names its summaries need (`register_names`)."""

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
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


# Names the summaries may ask for, by source: source -> load(keys) -> {key: name in the active language}.
_name_sources: dict[str, Callable[[set], dict]] = {}


def register_names(source: str, load: Callable[[set], dict]) -> None:
    """An upper app's names (e.g. complaint categories), loaded once per page for every event naming one."""
    _name_sources[source] = load


@dataclass(frozen=True)
class Step:
    """A step an upper app records on a ticket: its title, and its summary from the stored parameters."""

    title: object = None  # lazy text shown in place of the event kind (None: the kind's label)
    summary: Callable | None = None  # (data, names) -> str
    names: Callable | None = None  # data -> iterable of (source, key) the summary names


_steps: dict[str, Step] = {}


def register_step(code: str, *, title=None, summary=None, names=None) -> None:
    """Called from an upper app's AppConfig.ready(); `code` is stored in the event's data["step"]."""
    _steps[code] = Step(title=title, summary=summary, names=names)


def is_step(code: str) -> bool:
    return code in _steps


def _step_of(e) -> Step | None:
    return _steps.get((e.data or {}).get("step"))


def _people(usernames: set) -> dict:
    return {
        u.get_username(): u.get_full_name() or u.get_username()
        for u in get_user_model().objects.filter(username__in=usernames)
    }


def _units(codes: set) -> dict:
    return dict(OrgUnit.objects.filter(code__in=codes).values_list("code", "name"))


register_names("person", _people)
register_names("unit", _units)


def _named_in(e):
    """The (source, key) pairs an event's summary names."""
    data = e.data or {}
    if e.kind == Kind.ASSIGNED:
        return [("person", data.get("before")), ("person", data.get("after"))]
    if e.kind == Kind.TRANSFERRED:
        return [("unit", data.get("before")), ("unit", data.get("after"))]
    if e.kind == Kind.CREATED:
        return [("unit", data.get("org_unit"))]
    step = _step_of(e)
    return list(step.names(data)) if step is not None and step.names is not None else []


class Names:
    """People, units, milestones and the upper apps' names in a page's events, one query per source."""

    def __init__(self, ticket, events, known=None):
        self.found = defaultdict(dict, {source: dict(names) for source, names in (known or {}).items()})
        wanted = defaultdict(set)
        for e in events:
            for source, key in _named_in(e):
                if key and key not in self.found[source]:
                    wanted[source].add(key)
        for source, keys in wanted.items():
            self.found[source].update(_name_sources[source](keys))
        self.ticket = ticket

    @cached_property
    def milestones(self) -> dict:
        return {m.code: local_name(m) for m in self.ticket.milestones.all()}

    def name(self, source, key):
        return self.found[source].get(key, key)

    def person(self, username):
        return self.name("person", username) if username else _("nobody")

    def unit(self, code):
        return self.name("unit", code) if code else "—"

    def milestone(self, code):
        return self.milestones.get(code, code)


def _summary(e, names: Names) -> str:
    data = e.data or {}
    step = _step_of(e)
    if step is not None:
        return step.summary(data, names) if step.summary is not None else ""
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


class Row(NamedTuple):
    event: TicketEvent
    title: str
    summary: str


def timeline_rows(ticket, events, *, known=None) -> list[Row]:
    """A page's events with their title and summary in the active language; `known`: names the page
    has loaded already ({source: {key: name}}), not read again."""
    events = list(events)
    names = Names(ticket, events, known)
    rows = []
    for e in events:
        step = _step_of(e)
        title = str(step.title) if step is not None and step.title is not None else e.get_kind_display()
        rows.append(Row(e, title, _summary(e, names)))
    return rows


def step_in_languages(ticket, step: str, params: dict) -> dict[str, str]:
    """A step's summary in every site language: for a message read in a language known only when sent."""
    event = TicketEvent(ticket=ticket, kind=Kind.REPLY, data={"step": step, **params})
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = _summary(event, Names(ticket, [event]))
    return texts
