"""Verifiers reading monitoring: /health and the scheduler's heartbeat."""

from datetime import datetime, timedelta

from checklist.verifiers import Result, verifier
from monitoring.selectors import scheduler_last_seen
from monitoring.services.health import health_evaluate

SCHEDULER_FRESH_FOR = timedelta(seconds=120)


@verifier("health_check")
def health_check(now: datetime) -> Result:
    code, body = health_evaluate()
    failing = [f"{name}: {c['detail'] or 'failed'}" for name, c in body["checks"].items()
               if not c["ok"]]
    detail = f"/health {code} {body['status']}"
    if failing:
        detail += " (" + "; ".join(failing) + ")"
    # "Passing" means healthy: degraded answers 200 for load balancers, but a failing
    # non-critical check (RPC, websocket, disk) is still a failing check.
    return code == 200 and body["status"] == "healthy", detail, None


@verifier("scheduler_running")
def scheduler_running(now: datetime) -> Result:
    last = scheduler_last_seen()
    if last is None:
        return False, "the scheduler (beat → worker) has never run", None
    age = (now - last).total_seconds()
    if age > SCHEDULER_FRESH_FOR.total_seconds():
        return False, f"last scheduler heartbeat {int(age)} s ago", None
    return True, f"scheduler heartbeat {int(max(age, 0))} s ago", None
