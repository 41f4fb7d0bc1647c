"""Shared pytest fixtures."""

import pytest
from django.conf import settings

requires_postgres = pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (DATABASE_URL)")


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
