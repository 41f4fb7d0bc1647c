"""Settings come from the environment; with nothing set the embedded defaults give a working system."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]

PROBE = """
import json
from django.conf import settings
from gasservice.celery import app
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "broker": app.conf.broker_url,
    "transport_options": app.conf.broker_transport_options,
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"]["LOCATION"],
    "language": settings.LANGUAGE_CODE,
    "languages": [code for code, _ in settings.LANGUAGES],
    "time_zone": settings.TIME_ZONE,
    "use_tz": settings.USE_TZ,
    "debug": settings.DEBUG,
    "default_queue": app.conf.task_default_queue,
    "celery_timezone": app.conf.timezone,
    "beat": sorted(app.conf.beat_schedule),
}))
"""


def clean_env(tmp_path, **extra) -> dict:
    """Only what a newcomer's shell has: no DATABASE_URL, broker, cache or .env file."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "gasservice.settings",
        "GASSERVICE_ENV_FILE": "",
        "GASSERVICE_VAR_DIR": str(tmp_path / "var"),
    }
    env.update(extra)
    return env


def run(args, env, check=True):
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def test_embedded_defaults_need_no_server(tmp_path):
    result = run(["-c", PROBE], clean_env(tmp_path))
    probe = json.loads(result.stdout)

    var = tmp_path / "var"
    assert probe["engine"] == "django.db.backends.sqlite3"
    assert probe["db_name"] == str(var / "db.sqlite3")
    assert probe["broker"] == "filesystem://localhost//"
    options = probe["transport_options"]
    # One folder for publishing and consuming: the web process's messages reach the worker.
    assert options["data_folder_in"] == options["data_folder_out"] == str(var / "broker" / "queue")
    assert options["control_folder"] == str(var / "broker" / "control")
    assert all(
        Path(options[key]).is_dir() for key in ("data_folder_in", "processed_folder", "control_folder")
    )
    assert probe["cache"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert probe["cache_location"] == str(var / "cache")
    assert probe["language"] == "zh-hans"
    assert probe["languages"] == ["zh-hans", "en"]
    assert probe["time_zone"] == probe["celery_timezone"] == "Asia/Shanghai"
    assert probe["use_tz"] is True
    assert probe["debug"] is True
    assert probe["default_queue"] == "celery"
    assert {"sweep-deadlines", "worker-heartbeat"} <= set(probe["beat"])


def test_environment_selects_postgres_redis_and_queue(tmp_path):
    env = clean_env(
        tmp_path,
        DATABASE_URL="postgres://gas:pw@db.internal:5433/gasservice",
        REDIS_URL="redis://cache.internal:6379/1",
        CELERY_BROKER_URL="redis://cache.internal:6379/2",
        CELERY_TASK_DEFAULT_QUEUE="escalations",
    )
    probe = json.loads(run(["-c", PROBE], env).stdout)

    assert probe["engine"] == "django.db.backends.postgresql"
    assert probe["db_name"] == "gasservice"
    assert probe["broker"] == "redis://cache.internal:6379/2"
    assert probe["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert probe["default_queue"] == "escalations"


def test_env_file_is_read(tmp_path):
    env_file = tmp_path / "site.env"
    env_file.write_text("CELERY_TASK_DEFAULT_QUEUE=from-file\n")
    probe = json.loads(run(["-c", PROBE], clean_env(tmp_path, GASSERVICE_ENV_FILE=str(env_file))).stdout)
    assert probe["default_queue"] == "from-file"


def production_env(tmp_path, **extra):
    return clean_env(
        tmp_path,
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="gas.example.org",
        **extra,
    )


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path), check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_secret_key_fails_clearly(tmp_path):
    env = clean_env(tmp_path, DEBUG="False", ALLOWED_HOSTS="gas.example.org")
    result = run(["manage.py", "check"], env, check=False)
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_production_turns_on_https_and_secure_cookies(tmp_path):
    probe = (
        "import json; from django.conf import settings; print(json.dumps([settings.SECURE_SSL_REDIRECT,"
        " settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS,"
        " settings.STORAGES['staticfiles']['BACKEND']]))"
    )
    values = json.loads(run(["-c", probe], production_env(tmp_path)).stdout)
    assert values == [True, True, True, 31536000, "whitenoise.storage.CompressedManifestStaticFilesStorage"]


def test_a_newcomers_first_run_loads_the_demo_on_the_embedded_database(tmp_path):
    """What `make run` does before starting: migrate and seed the demo, on SQLite, without an error."""
    env = clean_env(tmp_path)
    run(["manage.py", "migrate", "-v0"], env)
    result = run(["manage.py", "seed_demo"], env)
    assert "Demo data ready" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
