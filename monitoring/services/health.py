"""Component health (/health) and the scheduler heartbeat.

Where /health's answer comes from (docs/monitoring.md):

- A Celery task runs every check every 15 s and stores the result
  (ComponentState); so does the minute loop.
- Each web process probes the database, the cache and the Celery broker itself,
  at most every HEALTH_PROBE_SECONDS, in a background thread (reading the stored
  state is its database check). The other checks come from the stored state
  while it is younger than HEALTH_STALE_SECONDS; older, the probe runs them too.
- /health answers from the last probe in this process's memory, each check with
  its age. A probe older than 2 x HEALTH_PROBE_SECONDS is not trusted: the request
  waits for a new one, within HEALTH_BUDGET_SECONDS.

Why the live probe: the stored state is refreshed through the broker, often the
same Redis as the cache. With Redis down the refresh stopped, and the last state
("healthy") was served until it went stale, 40-60 s later. A web process's own
probe does not depend on the broker, the cache or any other process.
"""

import asyncio
import dataclasses
import inspect
import logging
import math
import socket
import threading
import time

from django.conf import settings
from django.db import connections
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import HealthCheckException, ServiceUnavailable

from common.postgresql.base import query_timeout
from common.scheduling import Schedule
from monitoring.health import Component, components
from monitoring.models import ComponentState, SchedulerHeartbeat, UptimeSample

logger = logging.getLogger(__name__)

SCHEDULES = [
    Schedule(name="scheduler heartbeat", task="monitoring.tasks.scheduler_heartbeat",
             every_seconds=30),
    Schedule(name="refresh component health", task="monitoring.tasks.health_refresh",
             every_seconds=15),
]
# Checked by every web process itself: what the background refresh depends on.
LIVE = ("database", "cache", "broker")

_lock = threading.Lock()
_published = threading.Condition(_lock)
# "result": the last probe, {"at": monotonic, "when": datetime, "checks": {name: {..., "at"}}}
# "probe": the probe thread in flight, if any.
_state: dict = {"result": None, "probe": None}
# A check thread still running, by check name, with its start: never two at once, so
# a hung dependency parks one thread per process, not one per probe.
_running: dict[str, tuple[threading.Thread, float]] = {}


def scheduler_heartbeat_record(*, name: str = "worker") -> SchedulerHeartbeat:
    """Record that the beat → broker → worker chain just ran a task."""
    beat, _ = SchedulerHeartbeat.objects.update_or_create(
        name=name, defaults={"last_seen_at": timezone.now(), "hostname": socket.gethostname()}
    )
    return beat


def _run_check(component: Component, out: dict, *, close: bool = True) -> None:
    started = time.perf_counter()
    try:
        run = component.check.run
        # The answer does not wait past the budget, but the thread would wait on a hung
        # database for ever: its round trips are bounded, so threads never pile up.
        with query_timeout(settings.DB_QUERY_TIMEOUT):
            said = asyncio.run(run()) if inspect.iscoroutinefunction(run) else run()
        # A passing check may say what it saw (the scheduler: which beat is active).
        detail, ok = (said if isinstance(said, str) else ""), True
    except HealthCheckException as exc:
        detail, ok = exc.message, False
    except Exception:  # a broken check must not break /health
        logger.exception("health check %s crashed", component.name)
        detail, ok = "check failed unexpectedly", False
    finally:
        # Each check runs in its own thread, which owns its own DB connection.
        if close:
            connections.close_all()
    out[component.name] = {
        "ok": ok, "critical": component.critical, "detail": detail,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def _timed_out(component: Component, budget: float) -> dict:
    return {"ok": False, "critical": component.critical,
            "detail": f"timed out after {budget:g} s", "duration_ms": round(budget * 1000, 1)}


def _status(checks: dict) -> tuple[str, int]:
    failed = [c for c in checks.values() if not c["ok"]]
    if any(c["critical"] for c in failed):
        return "unhealthy", 503
    return ("degraded", 200) if failed else ("healthy", 200)


def health_evaluate(*, checks: list[Component] | None = None,
                    budget_seconds: float | None = None) -> tuple[int, dict]:
    """Run every component check concurrently within the budget; returns (HTTP status, body).

    Checks run in daemon threads rather than an executor: a dependency that
    hangs forever leaves one parked thread behind, but never holds the answer
    (or interpreter shutdown) hostage. A check still running at the deadline
    counts as failed.
    """
    checks = components() if checks is None else checks
    budget = settings.HEALTH_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    results: dict[str, dict] = {}
    threads = []
    for component in checks:
        t = threading.Thread(target=_run_check, args=(component, results), daemon=True,
                             name=f"health-{component.name}")
        t.start()
        threads.append(t)
    deadline = time.monotonic() + budget
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    body_checks = {c.name: results.get(c.name) or _timed_out(c, budget) for c in checks}
    status, code = _status(body_checks)
    return code, {
        "status": status,
        "timestamp": timezone.now().isoformat(),
        "version": settings.VERSION,
        "checks": body_checks,
    }


def health_memory_clear() -> None:
    """Forget this process's probe and its check threads (tests: each has its own DB)."""
    with _lock:
        _state.update(result=None, probe=None)
        _running.clear()


def _publish(checks: dict, *, at: float, when) -> dict:
    result = {"at": at, "when": when, "checks": checks}
    with _lock:
        _state["result"] = result
        _published.notify_all()
    return result


def health_refresh() -> tuple[int, dict]:
    """Run every check now, store the result as the current component state; -> (code, body).

    The Celery task and the minute loop call this; so does `?fresh=1`, whose
    live run also replaces this process's probe.
    """
    at, when = time.monotonic(), timezone.now()
    code, body = health_evaluate()
    _publish({name: {**c, "at": at} for name, c in body["checks"].items()}, at=at, when=when)
    if not body["checks"].get("database", {}).get("ok", True):
        return code, body  # nowhere to store it: do not wait on the database again
    try:
        ComponentState.objects.update_or_create(name="portal", defaults={
            "status": body["status"], "http_status": code, "body": body,
            "checked_at": timezone.now()})
    except Exception:  # the database itself may be what is down: the answer still stands
        logger.warning("could not store the component state", exc_info=True)
    return code, body


@dataclasses.dataclass
class _StoredStateRead(HealthCheck):
    """The database check of the live probe: reading the stored state is a real query."""

    into: dict = dataclasses.field(default_factory=dict)

    def run(self):
        try:
            self.into["row"] = (ComponentState.objects.filter(name="portal")
                                .values("body", "checked_at").first())
        except Exception as exc:  # the message may name hosts: /health is public
            logger.warning("health probe: the database failed: %s", exc)
            raise ServiceUnavailable("Database error") from exc


def _start(name: str, target, *args) -> tuple[threading.Thread | None, float | None]:
    """Start target(*args) in thread `name` -> (it, None); or (None, start of that
    thread still running)."""
    with _lock:
        running = _running.get(name)
        if running and running[0].is_alive():
            return None, running[1]
        t = threading.Thread(target=target, args=args, daemon=True, name=f"health-probe-{name}")
        _running[name] = (t, time.monotonic())
        t.start()
        return t, None


def _run_in_turn(checks: list[Component], out: dict) -> None:
    # One thread and one database connection for all of them: the refresher's work,
    # done here only while it is stopped, every probe of every process.
    try:
        for component in checks:
            _run_check(component, out, close=False)
    finally:
        connections.close_all()


def _probe() -> None:
    at, when = time.monotonic(), timezone.now()
    budget = settings.HEALTH_BUDGET_SECONDS
    deadline = at + budget
    stored: dict = {}
    every = components()
    live = [Component(c.name, _StoredStateRead(into=stored), c.critical)
            if c.name == "database" else c for c in every if c.name in LIVE]
    out: dict = {}
    started = {c.name: _start(c.name, _run_check, c, out) for c in live}
    for thread, _ in started.values():
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
    busy = {name: since for name, (_, since) in started.items()}
    checks = {}
    for c in live:
        if c.name in out:
            checks[c.name] = {**out[c.name], "at": at}
        elif (since := busy[c.name]) is not None:
            checks[c.name] = {"ok": False, "critical": c.critical, "duration_ms": 0.0, "at": at,
                              "detail": f"no answer for {at - since:.0f} s"}
        else:
            checks[c.name] = {**_timed_out(c, budget), "at": at}
    rest = [c for c in every if c.name not in LIVE]
    row = stored.get("row")
    age = (timezone.now() - row["checked_at"]).total_seconds() if row else math.inf
    if not checks["database"]["ok"]:
        # Nothing else can be checked without the database: the last known answers, aged.
        previous = (_state["result"] or {}).get("checks", {})
        for c in rest:
            checks[c.name] = previous.get(c.name) or {
                "ok": False, "critical": c.critical, "duration_ms": 0.0, "at": at,
                "detail": "not checked: the database is unavailable"}
    elif row is not None and age <= settings.HEALTH_STALE_SECONDS:
        for c in rest:
            if c.name in row["body"]["checks"]:
                checks[c.name] = {**row["body"]["checks"][c.name], "at": at - max(0.0, age)}
    else:
        # The background refresh stopped (or never ran): check here, never store from
        # here (a GET must not write; the refresh task owns the stored state).
        done: dict = {}
        thread, since = _start("stored-checks", _run_in_turn, rest, done)
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
        for c in rest:
            result = done.get(c.name) or (
                _timed_out(c, budget) if since is None else
                {"ok": False, "critical": c.critical, "duration_ms": 0.0,
                 "detail": f"no answer for {at - since:.0f} s"})
            checks[c.name] = {**result, "at": at}
    _publish({c.name: checks[c.name] for c in every if c.name in checks}, at=at, when=when)


def _probe_thread() -> None:
    try:
        _probe()
    except Exception:  # waiters fall back to "did not finish" in time
        logger.exception("health probe crashed")


def _kick() -> None:
    """Start a probe unless one is running (called with _lock held)."""
    probe = _state["probe"]
    if probe is None or not probe.is_alive():
        probe = _state["probe"] = threading.Thread(target=_probe_thread, daemon=True,
                                                   name="health-probe")
        probe.start()


def _answer(result: dict) -> tuple[int, dict]:
    now = time.monotonic()
    checks = {name: {**{k: v for k, v in c.items() if k != "at"},
                     "age_seconds": round(max(0.0, now - c["at"]), 1)}
              for name, c in result["checks"].items()}
    status, code = _status(checks)
    return code, {"status": status, "timestamp": result["when"].isoformat(),
                  "version": settings.VERSION, "checks": checks}


def _unfinished(waited: float) -> tuple[int, dict]:
    checks = {c.name: {"ok": False, "critical": c.critical, "duration_ms": 0.0,
                       "age_seconds": 0.0, "detail": f"no answer within {waited:.2g} s"}
              for c in components() if c.name in LIVE}
    return 503, {"status": "unhealthy", "timestamp": timezone.now().isoformat(),
                 "version": settings.VERSION, "checks": checks}


def health_current(*, fresh: bool = False, wait_seconds: float | None = None) -> tuple[int, dict]:
    """/health's answer from this process's last probe; -> (HTTP status, body).

    A probe older than HEALTH_PROBE_SECONDS is replaced in the background (this
    answer does not wait); older than twice that it is not served: the request
    waits for the new probe, `wait_seconds` at most (default: the health budget).
    `fresh=True` runs every check now (staff's `?fresh=1`).
    """
    if fresh:
        health_refresh()
        return _answer(_state["result"])
    every = settings.HEALTH_PROBE_SECONDS
    wait = settings.HEALTH_BUDGET_SECONDS + 0.1 if wait_seconds is None else wait_seconds
    with _lock:
        result = _state["result"]
        age = time.monotonic() - result["at"] if result else math.inf
        if age >= every:
            _kick()
        if age >= 2 * every:
            old = result
            _published.wait_for(lambda: _state["result"] is not old, timeout=wait)
            result = _state["result"]
            if result is old:
                result = None  # the probe did not finish in time (or crashed)
    return _unfinished(wait) if result is None else _answer(result)


def uptime_sample_record(*, now, code: int, body: dict) -> UptimeSample:
    """Store this minute's health result; a second pass in the same minute overwrites it."""
    failed = sorted(name for name, c in body["checks"].items() if not c["ok"])
    sample, _ = UptimeSample.objects.update_or_create(
        minute=now.replace(second=0, microsecond=0),
        defaults={"status": body["status"], "up": body["status"] != "unhealthy",
                  "failed_checks": failed})
    return sample
