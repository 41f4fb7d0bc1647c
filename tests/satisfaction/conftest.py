"""Fixtures for the satisfaction tests: SMS on the console (`org` is the shared one)."""

import pytest


@pytest.fixture(autouse=True)
def _sms_on_console(settings):
    settings.SMS_BACKEND = "console"
    settings.PUBLIC_BASE_URL = "https://gas.example.org"
