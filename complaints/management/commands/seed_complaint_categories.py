from django.core.management.base import BaseCommand

from complaints.seed import seed_complaint_categories


class Command(BaseCommand):
    help = "Create the default complaint categories that are missing (idempotent)."

    def handle(self, *args, **options):
        created = seed_complaint_categories()
        self.stdout.write(f"complaint categories created: {created}")
