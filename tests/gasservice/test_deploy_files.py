"""The deployment files agree with the settings: compose topology, documented variables, Procfiles."""

import re
from pathlib import Path

import yaml

BASE_DIR = Path(__file__).resolve().parents[2]


def compose():
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def documented_variables() -> set[str]:
    text = (BASE_DIR / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_compose_runs_the_production_topology():
    services = compose()["services"]

    assert {"web", "worker", "beat", "postgres", "redis", "migrate"} <= set(services)
    assert "gunicorn gasservice.wsgi" in services["web"]["command"]
    assert "celery -A gasservice worker" in services["worker"]["command"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "gasservice", "beat"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    for name in ("web", "worker", "beat", "postgres", "redis"):
        assert "test" in services[name]["healthcheck"], f"{name} has no health check"
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_every_setting_read_from_the_environment_is_documented():
    settings_source = (BASE_DIR / "gasservice" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.[a-z]+)?\(\s*"([A-Z][A-Z0-9_]+)"', settings_source))

    assert {"DATABASE_URL", "SECRET_KEY", "CELERY_BROKER_URL", "REDIS_URL"} <= read
    undocumented = read - documented_variables()
    assert not undocumented, f"add these to .env.example: {sorted(undocumented)}"


def test_compose_variables_are_documented():
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", (BASE_DIR / "docker-compose.yml").read_text()))
    assert not used - documented_variables()


def test_procfiles_start_web_worker_and_beat():
    for name in ("Procfile", "Procfile.prod"):
        entries = dict(
            line.split(":", 1) for line in (BASE_DIR / name).read_text().splitlines() if line.strip()
        )
        assert set(entries) == {"web", "worker", "beat"}, name
        assert "celery -A gasservice worker" in entries["worker"]
        assert "celery -A gasservice beat" in entries["beat"]
