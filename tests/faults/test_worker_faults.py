"""A Celery worker whose database hangs gives the task up within its bound instead of
holding the worker, and runs the next task as soon as the database answers again."""

import re
import subprocess
import time

import psutil
import psycopg
import pytest

from tests.fault_proxy import FaultProxy
from tests.faults.conftest import DB_BOUND, PG, TIMEOUTS
from tests.processes import ROOT, child_env, start, stop, wait_for

pytestmark = [pytest.mark.fault, pytest.mark.slow]
CELERY = str(ROOT / ".venv/bin/celery")


@pytest.fixture
def worker(fault_database, tmp_path):
    """One worker process (prefork, concurrency 1) on the embedded broker, its database
    behind a fault proxy: a stuck task would stop every later one."""
    url, name, _ = fault_database
    pg = FaultProxy(PG[1])
    env = child_env(tmp_path, DATABASE_URL=url.replace(f":{PG[1]}/", f":{pg.port}/"),
                    LOG_FORMAT="plain", **TIMEOUTS)
    log = tmp_path / "worker.log"
    proc = start([CELERY, "-A", "opsportal", "worker", "--concurrency", "1", "--loglevel",
                  "INFO", "--hostname", f"faults-{tmp_path.name}@%h"], env, log)
    wait_for(lambda: proc.poll() is not None or "ready." in log.read_text(), 60,
             what="the Celery worker")
    assert proc.poll() is None, log.read_text()
    try:
        yield proc, pg, env, log, name
    finally:
        stop(proc)
        pg.close()


def _send(env, task: str) -> None:
    # Through the broker, as beat sends it; `celery call` touches no database.
    subprocess.run([CELERY, "-A", "opsportal", "call", task], cwd=ROOT, env=env, check=True,
                   timeout=60, capture_output=True)


def _heartbeat(db_name: str):
    with psycopg.connect(host=PG[0], port=PG[1], user="postgres", dbname=db_name) as conn:
        row = conn.execute("SELECT max(last_seen_at) FROM monitoring_schedulerheartbeat "
                           "WHERE name = 'worker'").fetchone()
    return row[0]


def test_a_task_on_a_hung_database_fails_in_time_and_the_worker_runs_the_next(worker):
    proc, pg, env, log, db_name = worker
    children = {p.pid for p in psutil.Process(proc.pid).children()}
    # The chain works before the fault. (Celery closes the database connection around
    # every task, so the hang below meets the task at connect: DB_CONNECT_TIMEOUT bounds
    # it. A hang in mid-query is bounded by DB_QUERY_TIMEOUT, proven on gunicorn.)
    _send(env, "monitoring.tasks.scheduler_heartbeat")
    before = wait_for(lambda: _heartbeat(db_name), 30, what="the first task")

    pg.set_mode("hang")
    sent = time.monotonic()
    _send(env, "monitoring.tasks.scheduler_heartbeat")
    # The task gives up on its own bound, long before its time limit (300 s).
    failed = wait_for(lambda: re.search(r"scheduler_heartbeat\[[^\]]+\] raised unexpected: "
                                        r"OperationalError", log.read_text()),
                      DB_BOUND + 15, what="the task on the hung database to fail")
    assert failed and time.monotonic() - sent < DB_BOUND + 15
    assert _heartbeat(db_name) == before  # nothing half-done

    pg.set_mode("pass")
    _send(env, "monitoring.tasks.scheduler_heartbeat")
    wait_for(lambda: _heartbeat(db_name) != before, 30,
             what="the next task to run on the recovered database")
    # The same worker process did it: none was stuck, killed or replaced on the way.
    assert {p.pid for p in psutil.Process(proc.pid).children()} == children
    assert "TimeLimitExceeded" not in log.read_text()
