"""Message templates: what a notification says, rendered in the reader's language.

The app that writes a kind of message registers its template (a key, a lazily translated title
and body) at start-up; rows store only the key and the parameters. Parameter values are plain
text or numbers, a time ({"at": ISO}), or a text per language ({"zh-hans": ..., "en": ...},
see `localized`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone, translation
from django.utils.functional import Promise


@dataclass(frozen=True)
class Template:
    title: object  # a lazy translation with %(name)s placeholders, or a callable (params, language) -> str
    body: object = ""


templates: dict[str, Template] = {}


def register(key: str, *, title, body="") -> None:
    """Called when the owning app starts; registering twice replaces the entry."""
    templates[key] = Template(title=title, body=body)


def localized(text) -> dict[str, str]:
    """A lazy translation (or a label) as its text in every site language, for `params`."""
    result = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            result[code] = str(text)
    return result


def at(moment: dt.datetime | None):
    """A time parameter: shown in the site's time zone."""
    return {"at": moment.isoformat()} if moment else ""


def render_value(value, language: str):
    """One parameter as text in `language`."""
    if isinstance(value, dict):
        if "at" in value:
            moment = dt.datetime.fromisoformat(value["at"])
            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
        if language in value and value[language]:
            return value[language]
        base = language.split("-")[0]
        for code, text in value.items():
            if code.split("-")[0] == base and text:
                return text
        return next((text for text in value.values() if text), "")
    return value


def _fill(text, params: dict, language: str) -> str:
    if callable(text) and not isinstance(text, Promise):
        return text(params, language)
    if not text:
        return ""
    return str(text) % {name: render_value(value, language) for name, value in params.items()}


def render_template(key: str, params: dict, *, language: str | None = None) -> tuple[str, str]:
    """(title, body) of a template in `language` (default: the active one)."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    template = templates.get(key)
    if template is None:
        return key, ""
    with translation.override(language):
        title = _fill(template.title, params or {}, language.lower())
        body = _fill(template.body, params or {}, language.lower())
    return title, body


def title_renderer(key: str, *, language: str):
    """A function params -> the title of template `key` in `language`, the translated text looked
    up once: for writers of many rows at a time (the same text as render_template(...)[0])."""
    template = templates.get(key)
    if template is None:
        return lambda params: key
    if callable(template.title) and not isinstance(template.title, Promise):
        return lambda params: render_template(key, params, language=language)[0]
    with translation.override(language):
        text = str(template.title) if template.title else ""
    if not text:
        return lambda params: ""
    code = language.lower()
    return lambda params: text % {name: render_value(value, code) for name, value in params.items()}


def case_url(link: str) -> str:
    """A case's link as a full address on the configured site (for email and SMS)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + link if link else ""


def render(notification, *, language: str | None = None) -> tuple[str, str]:
    """(title, body) of a row: its template in the reader's language, or the text it was written with."""
    if notification.template:
        in_app = notification.channel == notification.Channel.IN_APP
        params = {
            "reference": notification.reference,
            # In the app the case is one click away (its button); the address is for email and SMS.
            "url": "" if in_app else case_url(notification.link),
            **notification.params,
        }
        title, body = render_template(notification.template, params, language=language)
        return title, body.strip() if in_app else body
    return notification.title, notification.body
