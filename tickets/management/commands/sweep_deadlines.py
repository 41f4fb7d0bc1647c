"""Run one deadline sweep now (operators, tests): `manage.py sweep_deadlines [--now ISO]`."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tickets.sweep import DEFAULT_CHUNK_SIZE, sweep_due_milestones


class Command(BaseCommand):
    help = "Perform every warning and escalation step that is due, once, and print the counts."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO 8601 time to sweep at (default: now), e.g. 2026-11-26T09:00")
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE)

    def handle(self, *args, now=None, chunk_size=DEFAULT_CHUNK_SIZE, **options):
        if now:
            try:
                moment = dt.datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now: not an ISO 8601 time: {now}") from exc
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        else:
            moment = timezone.now()
        result = sweep_due_milestones(now=moment, chunk_size=chunk_size)
        self.stdout.write(json.dumps(result.as_dict()))
