"""The embedded defaults really work across processes: with nothing configured, a task published by
one process (the web server, say) goes through the filesystem broker in var/ to a separate worker."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache.backends.filebased import FileBasedCache

from gasservice.celery import HEARTBEAT_CACHE_KEY

BASE_DIR = Path(__file__).resolve().parents[2]

PUBLISH = "from gasservice.celery import app; app.send_task('gasservice.record_heartbeat')"

pytestmark = pytest.mark.worker


def newcomer_env(var_dir: Path) -> dict:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(var_dir.parent),
        "GASSERVICE_ENV_FILE": "",
        "GASSERVICE_VAR_DIR": str(var_dir),
        "PYTHONUNBUFFERED": "1",
    }


def test_filesystem_broker_carries_a_task_from_one_process_to_a_worker(tmp_path):
    var_dir = tmp_path / "var"
    env = newcomer_env(var_dir)
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "gasservice", "worker", "--pool", "solo", "-l", "info",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    cache = FileBasedCache(str(var_dir / "cache"), {})
    try:
        subprocess.run(
            [sys.executable, "-c", PUBLISH],
            cwd=BASE_DIR, env=env, check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        # Waiting on another process: poll in short steps, bounded.
        deadline = time.monotonic() + 60
        while cache.get(HEARTBEAT_CACHE_KEY) is None:
            assert worker.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, f"no heartbeat; worker log:\n{log_path.read_text()}"
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=20)

    assert "filesystem://" in log_path.read_text()
    assert not list((var_dir / "broker" / "queue").iterdir()), "the message was not consumed"
