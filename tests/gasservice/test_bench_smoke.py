"""Every benchmark command runs at a tiny size and ends with one JSON object, so none rots unseen.

One row per `bench_*` command: its smallest arguments and the keys its report promises. The
commands that make a database of their own (`<test database>_bench_*`) drop it when they finish;
each of those pays one full migrate of its new database, most of its time here.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command, get_commands
from django.db import connection

from tests.conftest import requires_postgres

# A bench's writes are committed for real (COPY, a second process, a database of its own).
ON_POSTGRES = [requires_postgres, pytest.mark.django_db(transaction=True)]
WITHOUT_DATABASE = {"bench_deadlines"}  # pure arithmetic: no database to open or empty
BENCHES = [
    pytest.param(
        "bench_deadlines",
        ["--n", "50"],
        {"n", "median_us", "p95_us"},
        id="deadline arithmetic",
    ),
    pytest.param(
        "bench_customer_search",
        ["--rows", "300", "--repeat", "2", "--batch", "300"],
        {"customers", "worst_p95_ms"},
        id="customer search",
        marks=ON_POSTGRES,
    ),
    pytest.param(
        "bench_tickets",
        ["--tickets", "100", "--rounds", "1", "--pages", "1", "--skip-api", "--force"],
        {"tickets", "worst_p95_ms"},
        id="queues",
        marks=ON_POSTGRES,
    ),
    pytest.param(
        "bench_dashboard",
        ["--tickets", "100", "--days", "20", "--roll-days", "2", "--rounds", "1", "--force"],
        {"tickets", "milestones", "branch_month_p95_ms", "group_quarter_p95_ms", "export_rows", "export_s"},
        id="dashboard",
        marks=ON_POSTGRES,
    ),
    pytest.param(
        "bench_sweep",
        ["--open", "20", "--due", "5"],
        {"open", "due", "seconds", "queries"},
        id="deadline sweep (own database)",
        marks=ON_POSTGRES,
    ),
    pytest.param(
        "bench_billing",
        ["--readings", "10", "--meters", "5", "--customers", "1", "--rebills", "1"],
        {"load_average"},
        id="billing (own database)",
        marks=ON_POSTGRES,
    ),
    pytest.param(
        "bench_satisfaction",
        ["--cases", "5", "--batch", "5", "--answers", "10", "--repeat", "1"],
        {"load_average"},
        id="satisfaction (own database)",
        marks=ON_POSTGRES,
    ),
]


def _bench_databases() -> set[str]:
    """The databases a bench made from this test database's name (`<name>_bench_*`)."""
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)",
            [f"{connection.settings_dict['NAME']}_bench"],
        )
        return {row[0] for row in cursor.fetchall()}


def test_every_bench_command_has_a_smoke_row():
    listed = {param.values[0] for param in BENCHES}
    assert {name for name in get_commands() if name.startswith("bench_")} == listed


@pytest.mark.parametrize(("command", "args", "keys"), BENCHES)
def test_bench_runs_at_a_tiny_size_and_reports_one_json_object(command, args, keys):
    uses_database = command not in WITHOUT_DATABASE
    before = _bench_databases() if uses_database else set()
    out = StringIO()

    call_command(command, *args, stdout=out)

    last_line = out.getvalue().strip().splitlines()[-1]
    report = json.loads(last_line)
    assert isinstance(report, dict)
    assert keys <= report.keys(), f"{command} reported {sorted(report)}"
    if uses_database:
        assert _bench_databases() == before, "the bench left a database behind"
