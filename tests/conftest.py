"""Shared pytest fixtures."""

import os

import pytest
from django.conf import settings

requires_postgres = pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (DATABASE_URL)")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """PYTEST_DB_SUFFIX=name gives a run its own test database (parallel local runs)."""
    suffix = os.environ.get("PYTEST_DB_SUFFIX")
    if suffix:
        from pytest_django.fixtures import _set_suffix_to_test_databases

        _set_suffix_to_test_databases(suffix)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
