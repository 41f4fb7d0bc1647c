"""Fixtures for the complaints tests: the small organisation of the tickets tests, clean rate limits."""

import uuid

import pytest
from django.utils import translation

from tests.tickets.factories import Org


@pytest.fixture(autouse=True)
def _isolated_rate_limits(settings, tmp_path):
    """Each test counts its own submissions (the cache is a shared Redis) and stores files in tmp."""
    settings.RATELIMIT_CACHE_PREFIX = f"rl-test-{uuid.uuid4().hex}:"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SMS_BACKEND = "console"
    # Test users are made by the dozen: a fast hasher keeps the suite quick (never in production).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english():
    """Assertions read the English source messages (zh-Hans is the site's default language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def org(db):
    return Org()
