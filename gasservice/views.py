"""Project-level views: the health check."""

import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_broker() -> str:
    from gasservice.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


@never_cache
def healthz(request):
    """Database and broker reachability, for load balancers and operators: 200 or 503."""
    report = {}
    healthy = True
    for name, check in (("database", _check_database), ("broker", _check_broker)):
        try:
            report[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure is reported, never raised
            logger.warning("healthz: %s unavailable: %s", name, exc)
            report[name] = f"error: {exc.__class__.__name__}"
            healthy = False
    report["status"] = "ok" if healthy else "error"
    return JsonResponse(report, status=200 if healthy else 503)
