"""Fixtures for the billing tests: the shared organisation with the demo tariffs linked to its categories."""

import pytest

from billing.seed import seed_billing_rules


@pytest.fixture
def org(org):
    seed_billing_rules()
    return org
