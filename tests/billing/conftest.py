"""Fixtures for the billing tests: the small organisation, the demo tariffs linked to its categories."""

import pytest

from billing.seed import seed_billing_rules
from tests.tickets.factories import Org


@pytest.fixture
def org(db):
    org = Org()
    seed_billing_rules()
    return org
