"""The sweep on the embedded SQLite database (`make run` with nothing configured) keeps the rules it
keeps on PostgreSQL, where gasservice.bulk_sql takes its portable path: each step once, only the
highest step of a late sweep, a poisoned row set aside alone, a raised level never lowered.

The rule tests themselves run in a child pytest on a SQLite database of its own; on a SQLite run
of the suite they already run there directly.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from tests.conftest import requires_postgres

BASE_DIR = Path(__file__).resolve().parents[2]
RULES = [
    "tests/tickets/test_sweep.py::test_one_ticket_climbs_the_whole_ladder_once_per_step",
    "tests/tickets/test_sweep.py::test_sweeping_twice_at_the_same_moment_does_nothing_new",
    "tests/tickets/test_sweep.py::test_a_milestone_three_steps_behind_sends_one_notification_not_four",
    "tests/tickets/test_sweep.py::test_one_poisoned_row_among_100_due_sets_aside_only_itself",
    "tests/tickets/test_sweep.py::test_a_level_raised_meanwhile_is_never_lowered",
    "tests/gasservice/test_bulk_sql.py",
    "tests/notifications/test_writer.py",
]


@requires_postgres
def test_the_sweeps_rules_hold_on_sqlite(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "gasservice.settings",
        "GASSERVICE_ENV_FILE": "",
        "GASSERVICE_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    probe = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    child = [sys.executable, "-m", "pytest", "-q"]
    engine = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {probe}"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    result = subprocess.run(
        [*child, *RULES], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=600
    )

    assert engine == "django.db.backends.sqlite3" != settings.DATABASES["default"]["ENGINE"]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed and int(passed.group(1)) >= len(RULES), result.stdout[-2000:]
    assert "skipped" not in result.stdout
