from django.core.management.base import BaseCommand

from tickets.catalogue import seed_catalogue


class Command(BaseCommand):
    help = "Create the default calendar, escalation policies and published service types (idempotent)."

    def handle(self, *args, **options):
        created = seed_catalogue()
        self.stdout.write(
            f"catalogue: {len(created)} service types created"
            + (f" ({', '.join(created)})" if created else "")
        )
