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

from opsportal.scheduling import Schedule

from ..health import Component, components
from ..models import SchedulerHeartbeat

logger = logging.getLogger(__name__)

SCHEDULES = [
    Schedule(name="scheduler heartbeat", task="monitoring.tasks.scheduler_heartbeat",
             every_seconds=30),
]


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

