import pytest
from django.utils import translation

from .factories import make_org


@pytest.fixture(autouse=True)
def english():
    """Assert on the English source messages (the zh-Hans catalogue is compiled separately)."""
    with translation.override("en"):
        yield


@pytest.fixture
def org(db):
    return make_org()


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def api_client(api_client):
    api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return api_client
