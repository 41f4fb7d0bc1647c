"""Helpers for the accounts tests: customer categories as the product seeds them (the organisation
and its staff come from the one builder in tests.factories, re-exported here)."""

from accounts.models import CustomerCategory
from accounts.seeding import seed_categories
from tests.factories import CustomerFactory, UserFactory, make_staff


def category(code: str) -> CustomerCategory:
    seed_categories()
    return CustomerCategory.objects.get(code=code)


__all__ = ["CustomerFactory", "UserFactory", "category", "make_staff"]
