"""Start-up loads only what a command or a request needs.

The configured Celery app, the OpenAPI schema generator, openpyxl and Pillow are slow to import
and used by few paths (the worker and a publish, /api/schema/, the Excel export, photos); they
load when first used.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]

# The configured Celery app (its broker, beat's timetable) and Celery itself: a web process loads
# them on its first publish, a worker and beat at their own start.
DEFERRED = [
    "gasservice.celery",
    "celery",
    "kombu",
    "redis",
    "drf_spectacular.generators",
    "openpyxl",
    "PIL",
    "segno",
]

PROBE = """
import json, sys
import django
django.setup()
after_setup = set(sys.modules)
from django.urls import get_resolver
get_resolver().url_patterns
print(json.dumps({"setup": sorted(after_setup), "urls": sorted(sys.modules)}))
"""

PUBLISH = """
import django
django.setup()
from gasservice import broker
from notifications.tasks import deliver_notification
print(broker.publish(deliver_notification, (1,)))
"""


def _python(code: str, env: dict) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_setup_and_the_url_conf_leave_the_slow_libraries_unloaded():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gasservice.settings"}

    loaded = json.loads(_python(PROBE, env))

    assert [name for name in DEFERRED if name in loaded["setup"]] == []
    assert [name for name in DEFERRED if name in loaded["urls"]] == []


def test_a_process_that_never_imported_the_celery_app_publishes_through_the_configured_broker(tmp_path):
    """The first publish creates the project's app: the message lands in the configured broker
    (here the embedded filesystem one), not in Celery's unconfigured default (AMQP on localhost)."""
    var_dir = tmp_path / "var"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "gasservice.settings",
        "GASSERVICE_ENV_FILE": "",
        "GASSERVICE_VAR_DIR": str(var_dir),
    }

    assert _python(PUBLISH, env) == "True"

    assert len(list((var_dir / "broker" / "queue").iterdir())) == 1
