"""Publishing a task never makes a request wait on the broker.

The database is the outbox (notification rows, milestones' next_action_at) and the periodic
sweeps do what a lost message would have done, so a publish may simply give up:

1. it gives up quickly: connections of their own (a small pool per process) with a short
   connect and socket timeout (BROKER_PUBLISH_TIMEOUT seconds, 50 ms by default), no retry;
2. after a failure the circuit opens: for BROKER_CIRCUIT_SECONDS (30 s) publishing is skipped
   at once, then one publish tries again (and closes the circuit when it works).

The state is per process; a web process with a dead broker pays one short timeout per 30 s.
"""

import logging
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_open_until = 0.0  # time.monotonic() until which publishing is skipped
_pools: dict = {}


def _timeout() -> float:
    return float(getattr(settings, "BROKER_PUBLISH_TIMEOUT", 0.05))


def _circuit_seconds() -> float:
    return float(getattr(settings, "BROKER_CIRCUIT_SECONDS", 30.0))


def is_circuit_open(*, clock=time.monotonic) -> bool:
    return clock() < _open_until


def reset_circuit() -> None:
    """Close the circuit (tests, and an operator's shell after fixing the broker)."""
    global _open_until
    with _lock:
        _open_until = 0.0


def _trip(clock) -> None:
    global _open_until
    with _lock:
        _open_until = clock() + _circuit_seconds()


def _pool(app):
    """This process's pool of fast-failing broker connections (one per broker URL and timeout)."""
    timeout = _timeout()
    key = (app.conf.broker_url, timeout)
    pool = _pools.get(key)
    if pool is None:
        options = {
            **(app.conf.broker_transport_options or {}),
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            "max_retries": 0,
        }
        connection = app.connection_for_write(connect_timeout=timeout, transport_options=options)
        pool = _pools.setdefault(key, connection.Pool(limit=app.conf.broker_pool_limit or 10))
    return pool


def _discard(app) -> None:
    """Drop the connections of a failed broker: the next publish after the pause connects afresh."""
    pool = _pools.pop((app.conf.broker_url, _timeout()), None)
    if pool is not None:
        try:
            pool.force_close_all()
        except Exception:  # noqa: BLE001 - closing dead sockets may fail too
            logger.debug("closing broker connections failed", exc_info=True)


def publish(task, args=(), kwargs=None, *, clock=time.monotonic) -> bool:
    """Publish `task` (a task or its registered name) now, or give up fast; returns whether the
    message was handed to the broker."""
    name = task if isinstance(task, str) else task.name
    if is_circuit_open(clock=clock):
        logger.info("broker circuit open: %s not queued; the periodic sweep will do it", name)
        return False
    # The configured app, created on the first publish of a web process rather than at start-up.
    from gasservice.celery import app

    try:
        with _pool(app).acquire(block=True, timeout=_timeout()) as connection:
            # By name: the web process need not have imported the task's module (no task here sets
            # its own queue or routing, which only apply_async would add).
            app.send_task(name, args=args, kwargs=kwargs or None, connection=connection, retry=False)
    except Exception as exc:  # kombu.exceptions.OperationalError, redis/socket errors, pool exhausted
        _trip(clock)
        _discard(app)
        logger.warning(
            "could not queue %s (%s: %s); publishing paused for %ss, the periodic sweep will do it",
            name,
            type(exc).__name__,
            exc,
            int(_circuit_seconds()),
        )
        return False
    return True
