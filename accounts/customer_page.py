"""What the apps above accounts add to a customer's page (imports point one way: they register here).

A section is a callable (request, customer) -> HTML (the customer's cases); an action is a
callable (request, customer) -> (label, url) or None when the user may not take it ("new ticket").
"""

from collections.abc import Callable

sections: dict[str, Callable] = {}
actions: dict[str, Callable] = {}


def register_section(key: str, render: Callable) -> None:
    """Called from an app's AppConfig.ready(); registering twice replaces the entry."""
    sections[key] = render


def register_action(key: str, build: Callable) -> None:
    actions[key] = build


def page_extras(request, customer) -> dict:
    """The registered actions the user may take and the rendered sections, in registration order."""
    return {
        "extra_actions": [a for a in (build(request, customer) for build in actions.values()) if a],
        "extra_sections": [render(request, customer) for render in sections.values()],
    }
