"""/healthz: the load balancer's and the operator's view of the database and the broker."""

import pytest

from gasservice.celery import app

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["status"] == "ok"
    assert body["sweep_set_aside"] == 0
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_is_503_when_the_broker_is_down(client, broker_down):
    assert app.conf.broker_url == broker_down

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("error")
    assert body["status"] == "error"


def test_healthz_needs_no_login_and_no_cookies(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert not response.cookies
