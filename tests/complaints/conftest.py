"""Fixtures for the complaints tests: files in tmp, SMS on the console (`org` is the shared one)."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _files_in_tmp_and_sms_on_console(settings, tmp_path):
    """Each test stores files in tmp and sends SMS to the console."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SMS_BACKEND = "console"


@pytest.fixture(autouse=True)
def _english():
    """Assertions read the English source messages (zh-Hans is the site's default language)."""
    with translation.override("en"):
        yield
