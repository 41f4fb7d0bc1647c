"""Fixtures for the satisfaction tests: the small organisation of the tickets tests, SMS on the console."""

import pytest

from tests.tickets.factories import Org


@pytest.fixture(autouse=True)
def _sms_on_console(settings):
    settings.SMS_BACKEND = "console"
    settings.PUBLIC_BASE_URL = "https://gas.example.org"


@pytest.fixture
def org(db):
    return Org()
