"""Hostile input to the customer pages, the customer API and the login.

The answer is a 4xx with a clear message, never a 500, and nothing leaks. Each test is a regression
test for a server error or a leak found by fuzzing (schemathesis) or by hand; its name says the
input and the answer.
"""

import pytest
import time_machine

from accounts.models import Role
from tests.tickets.factories import at

from .factories import CustomerFactory, category, make_staff

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 2, 10, 0)
NUL = "\x00"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def desk(org):
    """A front-desk clerk of the first outlet (password pass-12345)."""
    return make_staff(Role.FRONT_DESK, org.outlet, username="clerk")


@pytest.fixture
def clerk(client, desk):
    client.force_login(desk)
    return client


@pytest.fixture
def clerk_api(api_client, desk):
    api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    api_client.force_authenticate(desk)
    return api_client


@pytest.mark.parametrize(
    "url",
    [
        "/customers/31%00/",
        "/api/v1/customers/31%00/",
    ],
)
def test_a_nul_in_a_reference_or_account_number_is_not_found(clerk, clerk_api, org, url):
    client = clerk_api if url.startswith("/api/") else clerk

    response = client.get(url)

    assert response.status_code == 404


@pytest.mark.parametrize("url", ["/login/?next=https://evil.example/", "/login/?next=//evil.example/"])
def test_login_never_redirects_off_site(client, desk, url):
    response = client.post(url, {"username": "clerk", "password": "pass-12345"})

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_customer_export_quotes_text_a_spreadsheet_would_run_as_a_formula(clerk, org):
    CustomerFactory(
        outlet=org.outlet,
        category=category("residential"),
        name='=HYPERLINK("http://evil.example","x")',
        address="+1 渝中区",
    )

    response = clerk.get("/customers/export.csv", {"q": "HYPERLINK"})
    text = response.content.decode("utf-8-sig")

    assert response.status_code == 200
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
