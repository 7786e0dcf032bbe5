"""/health during outages, on real gunicorn workers (issue 15, items 4 and 5).

- Redis (cache and Celery broker) refuses or hangs while a real beat and worker keep
  the stored state fresh through it: every worker's /health names the cache and the
  broker within 15 s, and recovers after.
- PostgreSQL hangs: /health answers within 1 s naming the database, ingestion answers
  503 within DB_QUERY_TIMEOUT (not 2x), and slow requests never take every worker.
"""

import subprocess
import time

import psycopg
import pytest

from tests.faults.conftest import PG, TIMEOUTS, WORKERS
from tests.processes import ROOT, start, stop, wait_for

pytestmark = [pytest.mark.fault, pytest.mark.slow]
CELERY = str(ROOT / ".venv/bin/celery")
# The bound for a failing cache or broker to show on /health.
REPORT_WITHIN = 15.0
# Slack over DB_QUERY_TIMEOUT for the request's own work and the HTTP round trip.
SLACK = 0.75


def _round(p, n: int = 2 * WORKERS) -> list:
    """n concurrent /health requests: with more than one at a time, every worker answers."""
    answers = p.concurrently([p.health] * n)
    for answer in answers:
        assert answer.status in (200, 503) and answer.elapsed < 1.0, answer
    return answers


def _all(answers, *names: str, ok: bool) -> bool:
    return all(answer.json()["checks"][name]["ok"] is ok for answer in answers
               for name in names)


def _consistently(p, *names: str, ok: bool, within: float) -> float:
    """Seconds until three rounds in a row show every one of `names` as `ok`."""
    started, streak = time.monotonic(), 0
    while time.monotonic() - started < within:
        answers = _round(p)
        streak = streak + 1 if _all(answers, *names, ok=ok) else 0
        if streak == 3:
            return time.monotonic() - started
        time.sleep(0.3)
    seen = [{n: a.json()["checks"][n]["ok"] for n in names} for a in answers]
    raise AssertionError(f"{names} not ok={ok} on every worker within {within} s: {seen}")


def _stored_checked_at(db_name: str):
    with psycopg.connect(host=PG[0], port=PG[1], user="postgres", dbname=db_name) as conn:
        row = conn.execute("SELECT checked_at FROM monitoring_componentstate "
                           "WHERE name = 'portal'").fetchone()
    return row and row[0]


@pytest.fixture
def celery_chain(tmp_path):
    """celery_chain(portal) -> beat and a worker on the portal's broker and database, beat
    sending the health refresh on its production schedule (every 15 s)."""
    procs = []

    def run(p):
        subprocess.run(
            [str(ROOT / ".venv/bin/python"), "manage.py", "shell", "-c",
             "from monitoring.services.health import SCHEDULES; "
             "from common.scheduling import periodic_task_upsert; "
             "[periodic_task_upsert(schedule=s) for s in SCHEDULES]"],
            cwd=ROOT, env=p.env, check=True, timeout=60, capture_output=True)
        for name, cmd in (("worker", ["worker", "--concurrency", "1", "--hostname",
                                      f"faults-health-{tmp_path.name}@%h"]),
                          ("beat", ["beat", "--pidfile=", "-s", str(tmp_path / "beat-schedule")])):
            procs.append(start([CELERY, "-A", "opsportal", *cmd, "--loglevel", "INFO"], p.env,
                               tmp_path / f"{name}.log"))
        return procs

    yield run
    for proc in procs:
        stop(proc)


@pytest.mark.parametrize("mode", ["refuse", "hang"])
def test_a_redis_outage_shows_on_every_workers_health_within_15_s(portal, celery_chain, mode):
    # The production staleness: the stored state is trusted for 60 s.
    p = portal(cache=True, broker=True, HEALTH_STALE_SECONDS=60)
    celery_chain(p)
    _consistently(p, "cache", "broker", "database", ok=True, within=30)
    # Right after the worker stored a state, as fresh as the stored state gets: the next
    # refresh, due 15 s later, cannot reach the worker through the failed Redis.
    before = _stored_checked_at(p.db_name)
    wait_for(lambda: _stored_checked_at(p.db_name) not in (None, before), 60, interval=0.1,
             what="the worker to store the health state")

    p.redis.set_mode(mode)
    took = _consistently(p, "cache", "broker", ok=False, within=REPORT_WITHIN + 5)
    assert took < REPORT_WITHIN, took
    failing = _round(p)
    assert all(a.status == 503 for a in failing), failing
    # The served state carries its age: the live checks are never older than 2 probes.
    for answer in failing:
        for name in ("cache", "broker", "database"):
            assert answer.json()["checks"][name]["age_seconds"] <= 10 + 1, answer

    p.redis.set_mode("pass")
    _consistently(p, "cache", "broker", ok=True, within=REPORT_WITHIN + 5)


def test_a_hung_database_bounds_health_ingestion_and_keeps_workers_free(portal):
    # A measurement flush is due at every request: it must not be the request's wait.
    p = portal(PERF_FLUSH_SECONDS=0)
    assert p.ingest(["hung-db-warm-0", "hung-db-warm-1"]).status == 202
    _consistently(p, "database", ok=True, within=20)

    p.pg.set_mode("hang")
    _consistently(p, "database", ok=False, within=REPORT_WITHIN)
    bound = TIMEOUTS["DB_QUERY_TIMEOUT"] + SLACK
    # One at a time, so no answer includes a wait for a free thread: each request's whole
    # database wait (health check of the kept connection, reconnect, query) is one budget.
    for n in range(3):
        answer = p.ingest([f"hung-db-{n}-{i}" for i in range(5)])
        assert answer.status == 503 and answer.elapsed < bound, answer
        assert answer.headers.get("Retry-After"), answer

    # Hung requests on every worker at once, /health probes and a page without the
    # database: none of the fast ones waits for the slow ones.
    slow = [lambda n=n: p.ingest([f"hung-db-busy-{n}"]) for n in range(2 * WORKERS)]
    fast = [p.health] * (3 * WORKERS) + [lambda: p.request("GET", "/no-such-page")]
    answers = p.concurrently(slow + fast)
    for answer in answers[:len(slow)]:
        assert answer.status == 503 and answer.elapsed < bound, answer
    for answer in answers[len(slow):-1]:
        assert answer.status == 503 and answer.elapsed < 1.0, answer
        assert answer.json()["checks"]["database"]["ok"] is False, answer
    assert answers[-1].status == 404 and answers[-1].elapsed < 1.0, answers[-1]

    p.pg.set_mode("pass")
    _consistently(p, "database", ok=True, within=REPORT_WITHIN)
    assert p.ingest(["hung-db-after"]).status == 202
