"""`make run`'s Procfile on the embedded default: web, worker and beat together."""

import signal
import urllib.request

import pytest

from common.scheduling import Schedule, periodic_task_upsert
from monitoring.selectors import scheduler_last_seen
from tests.processes import ROOT, child_env, free_port, start, stop, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def test_the_procfile_serves_runs_beat_tasks_through_the_worker_and_stops_on_ctrl_c(tmp_path):
    # Beat's own schedule is every 30 s; one every second keeps the test short.
    periodic_task_upsert(schedule=Schedule(
        name="test heartbeat", task="monitoring.tasks.scheduler_heartbeat", every_seconds=1))
    port = free_port()
    env = child_env(tmp_path, OPSPORTAL_PORT=port)
    honcho = start([str(ROOT / ".venv/bin/honcho"), "start", "-f", "Procfile"], env,
                   tmp_path / "honcho.log")
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_status(f"{base}/health") == 200, 60, what="/health")
        assert http_status(f"{base}/admin/login/") == 200
        wait_for(scheduler_last_seen, 90, what="a heartbeat run by the worker")
    finally:
        leftovers = stop(honcho, signal.SIGINT)
    log = (tmp_path / "honcho.log").read_text()
    assert leftovers == [], log
    assert "scheduler heartbeat at" in log or "succeeded" in log, log
