"""Shared pytest fixtures: per-run test databases, the API client and a real Celery worker."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

requires_postgres = pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (DATABASE_URL)")

BASE_DIR = Path(__file__).resolve().parent.parent
WORKER_START_TIMEOUT = 60.0


def pytest_configure(config):
    """A fast password hasher: factories and logins hash many passwords; strength is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """PYTEST_DB_SUFFIX=name gives a run its own test database (parallel local runs)."""
    suffix = os.environ.get("PYTEST_DB_SUFFIX")
    if suffix:
        from pytest_django.fixtures import _set_suffix_to_test_databases

        _set_suffix_to_test_databases(suffix)


@pytest.fixture(autouse=True)
def isolated_rate_limits(settings):
    """Each test counts its own attempts: the cache is a shared Redis that outlives a test."""
    settings.RATELIMIT_CACHE_PREFIX = f"rl-test-{uuid.uuid4().hex}:"


@pytest.fixture(autouse=True)
def closed_broker_circuit():
    """Each test starts with publishing allowed (a dead broker in one test pauses it per process)."""
    from gasservice import broker

    broker.reset_circuit()
    yield
    broker.reset_circuit()


@pytest.fixture(autouse=True)
def english_messages(settings):
    """Tests assert the English source text of messages; the product's default stays zh-Hans.

    A request without Accept-Language gets English here, and code outside a request (services,
    tasks) speaks English. Tests of the Chinese pages opt back in with the `chinese` fixture or
    by sending Accept-Language (the browser fixtures send zh-CN).
    """
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def chinese(settings):
    """The product's own default: zh-Hans for requests without a language and for code outside them."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def org(db):
    """The test organisation, its staff and customers, built through the services (tests.factories.Org).

    An app's conftest or a module extends it by requesting `org` in its own `org` fixture.
    """
    from tests.factories import Org

    return Org()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


DEAD_BROKER_URL = "redis://127.0.0.1:1/0"


@pytest.fixture
def clerk(client, org):
    """The test client signed in as the org's front-desk clerk."""
    client.force_login(org.clerk)
    return client


@pytest.fixture
def clerk_api(api_client, org):
    """The API client authenticated as the org's front-desk clerk, answers in English."""
    api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    api_client.force_authenticate(org.clerk)
    return api_client


@pytest.fixture
def broker_down(monkeypatch, settings):
    """Point Celery at a broker that refuses connections (nothing listens on port 1).

    Celery reads CELERY_BROKER_URL from the environment before its configuration, so the
    environment is where the override goes; publishing then fails fast, as in an outage.
    """
    settings.CELERY_BROKER_URL = DEAD_BROKER_URL
    monkeypatch.setenv("CELERY_BROKER_URL", DEAD_BROKER_URL)
    return DEAD_BROKER_URL


def _skip_or_fail(reason: str):
    """Outside CI a missing service skips the test; in CI it is an error, never a silent skip."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


def database_url(settings_dict: dict) -> str:
    """The test database as a DATABASE_URL, for the worker and command subprocesses a test starts."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


def _route_tasks_to(app, queue: str) -> None:
    """Make every task this process publishes (test code and on_commit hooks alike) go to `queue`.

    Celery caches its queue and router objects on first use; dropping them makes the next
    publish rebuild them from the changed configuration.
    """
    app.conf.task_default_queue = queue
    for cached in ("queues", "default_queue", "default_exchange", "router", "send_task_message"):
        app.amqp.__dict__.pop(cached, None)
    app.amqp._rtable = None


class CeleryWorker:
    """A real `celery worker` process on the test database, listening on this run's own queue."""

    def __init__(self, process: subprocess.Popen, queue: str, log_path: Path):
        self.process = process
        self.queue = queue
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def send(self, task_name: str, *args, **kwargs):
        """Publish a task by name to the worker's queue (through the real broker)."""
        from gasservice.celery import app

        return app.send_task(task_name, args=args, kwargs=kwargs, queue=self.queue)

    def wait_for(self, condition: Callable[[], object], *, timeout: float = 30.0, what: str = "condition"):
        """Poll `condition` (e.g. a database query) until it is truthy; fail with the worker log if not.

        This waits on another process doing real work, so it polls in short steps up to a bound.
        """
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if self.process.poll() is not None:
                pytest.fail(
                    f"celery worker exited with {self.process.returncode} while waiting for {what}:\n"
                    f"{self.log()[-4000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"timed out after {timeout}s waiting for {what}; worker log:\n{self.log()[-4000:]}"
                )
            time.sleep(0.1)


def _purge(app, queue: str) -> None:
    """Drop `queue` and its messages from the broker (best effort: the broker may be gone by then)."""
    try:
        broker_url = app.conf.broker_url
        if broker_url.startswith("redis://"):
            import redis

            client = redis.Redis.from_url(broker_url, socket_connect_timeout=1, socket_timeout=1)
            # The queue's list (and its priority lists) and kombu's binding sets; the name is unique.
            keys = [*client.scan_iter(match=f"{queue}*"), *client.scan_iter(match=f"_kombu.binding*.{queue}")]
            if keys:
                client.delete(*keys)
        else:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_purge(queue)
    except Exception:  # noqa: BLE001 - leftover test messages are harmless
        pass


@pytest.fixture(scope="session", autouse=True)
def isolated_task_queue():
    """Tasks the tests publish go to a queue of this session's own, purged at the end.

    So a developer's running `make run` worker never takes a test's task (and vice versa), and
    nothing piles up in the broker between runs.
    """
    from gasservice.celery import app

    previous = app.conf.task_default_queue
    queue = f"test-{uuid.uuid4().hex[:12]}-unconsumed"
    _route_tasks_to(app, queue)
    yield queue
    _route_tasks_to(app, previous)
    _purge(app, queue)


@pytest.fixture(scope="session")
def _celery_worker(django_db_setup, tmp_path_factory):
    """One `celery worker` process per test session, started the first time a test asks for it."""
    from django.db import connection

    broker_url = settings.CELERY_BROKER_URL
    if not broker_url.startswith("redis://"):
        _skip_or_fail(f"the real-worker tests need CELERY_BROKER_URL=redis://... (got {broker_url!r})")
    if not settings.IS_POSTGRES:
        _skip_or_fail("the real-worker tests need PostgreSQL (DATABASE_URL): the worker is a second process")
    try:
        import redis

        redis.Redis.from_url(broker_url, socket_connect_timeout=1, socket_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means the broker is not usable
        _skip_or_fail(f"Redis broker {broker_url} does not answer: {exc}")

    queue = f"test-{uuid.uuid4().hex[:12]}-worker"
    log_path = tmp_path_factory.mktemp("celery-worker") / "worker.log"
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="gasservice.settings",
        DATABASE_URL=database_url(connection.settings_dict),
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        PYTHONUNBUFFERED="1",
    )
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    command = [
        sys.executable, "-m", "celery", "-A", "gasservice", "worker",
        "--pool", "solo", "--concurrency", "1", "-Q", queue, "-n", f"{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
    ]  # fmt: skip
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    worker = CeleryWorker(process, queue, log_path)
    try:
        worker.wait_for(lambda: " ready." in worker.log(), timeout=WORKER_START_TIMEOUT, what="worker start")
        yield worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def celery_worker_process(_celery_worker, isolated_task_queue):
    """A real `celery -A gasservice worker` on Redis and the pytest test database.

    Use with `transactional_db` (or `django_db(transaction=True)`) so rows the test writes are
    committed and visible to the worker, and vice versa. During the test, every task this
    process publishes (the test's own and on_commit hooks alike) goes to the worker; before and
    after, tasks go nowhere near it, so it never runs work of another test.
    """
    from gasservice.celery import app

    _route_tasks_to(app, _celery_worker.queue)
    try:
        yield _celery_worker
    finally:
        _route_tasks_to(app, isolated_task_queue)
        _purge(app, _celery_worker.queue)
