"""Component health (/health) and the scheduler heartbeat."""

import asyncio
import inspect
import logging
import socket
import threading
import time

from django.conf import settings
from django.db import connections
from django.utils import timezone
from health_check.exceptions import HealthCheckException

from opsportal.postgresql.base import query_timeout
from opsportal.scheduling import Schedule

from ..health import Component, components
from ..models import ComponentState, SchedulerHeartbeat, UptimeSample

logger = logging.getLogger(__name__)

SCHEDULES = [
    Schedule(name="scheduler heartbeat", task="monitoring.tasks.scheduler_heartbeat",
             every_seconds=30),
    Schedule(name="refresh component health", task="monitoring.tasks.health_refresh",
             every_seconds=15),
]
# A web process answers /health from memory this long before reading the stored state again.
MEMORY_SECONDS = 5.0
_memory: dict = {}  # {"until": monotonic deadline, "code": int, "body": dict}
_reader: threading.Thread | None = None  # the stored-state read in flight, if any
_reader_lock = threading.Lock()


def scheduler_heartbeat_record(*, name: str = "worker") -> SchedulerHeartbeat:
    """Record that the beat → broker → worker chain just ran a task."""
    beat, _ = SchedulerHeartbeat.objects.update_or_create(
        name=name, defaults={"last_seen_at": timezone.now(), "hostname": socket.gethostname()}
    )
    return beat


def _run_check(component: Component, out: dict) -> None:
    started = time.perf_counter()
    try:
        run = component.check.run
        # The answer does not wait past the budget, but the thread would wait on a hung
        # database for ever: its round trips are bounded, so threads never pile up.
        with query_timeout(settings.DB_QUERY_TIMEOUT):
            if inspect.iscoroutinefunction(run):
                asyncio.run(run())
            else:
                run()
        detail, ok = "", True
    except HealthCheckException as exc:
        detail, ok = exc.message, False
    except Exception:  # a broken check must not break /health
        logger.exception("health check %s crashed", component.name)
        detail, ok = "check failed unexpectedly", False
    finally:
        # Each check runs in its own thread, which owns its own DB connection.
        connections.close_all()
    out[component.name] = {
        "ok": ok, "critical": component.critical, "detail": detail,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }


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
    body_checks = {}
    for component in checks:
        body_checks[component.name] = results.get(component.name) or {
            "ok": False, "critical": component.critical,
            "detail": f"timed out after {budget:g} s", "duration_ms": round(budget * 1000, 1),
        }
    failed = [c for c in body_checks.values() if not c["ok"]]
    if any(c["critical"] for c in failed):
        status, code = "unhealthy", 503
    elif failed:
        status, code = "degraded", 200
    else:
        status, code = "healthy", 200
    return code, {
        "status": status,
        "timestamp": timezone.now().isoformat(),
        "version": settings.VERSION,
        "checks": body_checks,
    }



def health_memory_clear() -> None:
    """Forget the in-process copy (tests; after a live run it is replaced anyway)."""
    _memory.clear()


def _remember(code: int, body: dict) -> None:
    _memory.update(until=time.monotonic() + MEMORY_SECONDS, code=code, body=body)


def health_refresh() -> tuple[int, dict]:
    """Run every check now, store the result as the current component state; -> (code, body)."""
    code, body = health_evaluate()
    if not body["checks"].get("database", {}).get("ok", True):
        _remember(code, body)  # nowhere to store it: do not wait on the database again
        return code, body
    try:
        ComponentState.objects.update_or_create(name="portal", defaults={
            "status": body["status"], "http_status": code, "body": body,
            "checked_at": timezone.now()})
    except Exception:  # the database itself may be what is down: the answer still stands
        logger.warning("could not store the component state", exc_info=True)
    _remember(code, body)
    return code, body


def _stored_state(out: dict) -> None:
    try:
        with query_timeout(settings.DB_QUERY_TIMEOUT):
            out["row"] = (ComponentState.objects.filter(name="portal")
                          .values("http_status", "body", "checked_at").first())
    except Exception:
        logger.warning("could not read the component state", exc_info=True)
        out["error"] = True
    finally:
        connections.close_all()


def health_current(*, fresh: bool = False) -> tuple[int, dict]:
    """/health's answer: from memory, else the stored state, else (stale or fresh=True) live.

    Most requests cost no query. The stored state is read in a daemon thread
    with the health budget, so a hung database still gets an answer in time.
    When the background refresher has stopped (state older than
    HEALTH_STALE_SECONDS) the checks run live, which also stores a new state.
    """
    if fresh:
        return health_refresh()
    if _memory and _memory["until"] > time.monotonic():
        return _memory["code"], _memory["body"]
    global _reader
    out: dict = {}
    with _reader_lock:
        # One read at a time: while the database hangs, a read still waiting (for at
        # most DB_CONNECT_TIMEOUT + DB_QUERY_TIMEOUT) answers every probe, instead
        # of each probe parking one more thread.
        busy = _reader is not None and _reader.is_alive()
        if not busy:
            _reader = threading.Thread(target=_stored_state, args=(out,), daemon=True,
                                       name="health-state")
            _reader.start()
        t = _reader
    if not busy:
        t.join(settings.HEALTH_BUDGET_SECONDS / 2)
    if busy or t.is_alive() or out.get("error"):
        return 503, {"status": "unhealthy", "timestamp": timezone.now().isoformat(),
                     "version": settings.VERSION, "checks": {"database": {
                         "ok": False, "critical": True, "duration_ms": 0.0,
                         "detail": "could not read the stored component state in time"}}}
    row = out.get("row")
    age = (timezone.now() - row["checked_at"]).total_seconds() if row else None
    if row is None or age > settings.HEALTH_STALE_SECONDS:
        return health_refresh()
    _remember(row["http_status"], row["body"])
    return row["http_status"], row["body"]


def uptime_sample_record(*, now, code: int, body: dict) -> UptimeSample:
    """Store this minute's health result; a second pass in the same minute overwrites it."""
    failed = sorted(name for name, c in body["checks"].items() if not c["ok"])
    sample, _ = UptimeSample.objects.update_or_create(
        minute=now.replace(second=0, microsecond=0),
        defaults={"status": body["status"], "up": body["status"] != "unhealthy",
                  "failed_checks": failed})
    return sample
