"""manage.py seed_demo: the demo organisation, one user per role, ~2,000 customers. Idempotent."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.seeding import seed_demo
from accounts.signals import demo_seeded


class Command(BaseCommand):
    help = "Load demo data (organisation, one user per role, customers); safe to run again."

    def handle(self, *args, **options):
        result = seed_demo()
        # Other apps (catalogue, tickets, complaints) add their demo data.
        demo_seeded.send(sender=self.__class__, now=timezone.now())
        self.stdout.write(
            f"Demo data ready: {result['customers_created']} customers added, "
            f"{result['categories_created']} categories added."
        )
        self.stdout.write("Demo logins (username / password / role):")
        for username, password, role in result["logins"]:
            self.stdout.write(f"  {username:<12} {password:<12} {role}")
