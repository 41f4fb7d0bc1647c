"""Project-level views: the health check, the API docs."""

import functools
import logging

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def _sweep_set_aside() -> int:
    """Milestones the deadline sweep set aside after an error (retried later; see the admin)."""
    from tickets.selectors import sweep_set_aside_count

    return sweep_set_aside_count()


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


def _worker_seen_at() -> str | None:
    from django.core.cache import cache

    from gasservice.celery import HEARTBEAT_CACHE_KEY

    try:
        return cache.get(HEARTBEAT_CACHE_KEY)
    except Exception:  # noqa: BLE001 - a cache outage must not turn the health check into a 500
        return None


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
    # Informational only: a stale stamp means beat or the worker stopped (the sweep is not running).
    report["worker_seen_at"] = _worker_seen_at()
    if healthy:
        report["sweep_set_aside"] = _sweep_set_aside()
    return JsonResponse(report, status=200 if healthy else 503)


@functools.cache
def _schema_views():
    """drf-spectacular's views, loaded on the first request for them: the schema generator is slow to
    import and no other request or command needs it."""
    from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

    return SpectacularAPIView.as_view(), SpectacularSwaggerView.as_view(url_name="schema")


def api_schema(request):
    """The OpenAPI document of /api/v1/."""
    return _schema_views()[0](request)


def api_docs(request):
    """Swagger UI; in production (settings.API_DOCS_PUBLIC off) a visitor is sent to the staff login."""
    if not settings.API_DOCS_PUBLIC and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return _schema_views()[1](request)
