"""Signals other apps connect to (imports point one way: they import us)."""

from django.dispatch import Signal

# Sent by `manage.py seed_demo` at the end, with kwargs `now` (aware datetime): tickets and
# complaints add their demo data.
demo_seeded = Signal()
