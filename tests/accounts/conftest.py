import pytest
from django.utils import translation

from tests.factories import Org


@pytest.fixture(autouse=True)
def english():
    """Assert on the English source messages (the zh-Hans catalogue is compiled separately)."""
    with translation.override("en"):
        yield


@pytest.fixture
def org(db):
    """The shared organisation's units and the call centre, without its staff and customers: the
    accounts tests make the people they count."""
    return Org(people=False, call_centre=True)


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def api_client(api_client):
    api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return api_client
