"""Verifiers reading monitoring: /health, the scheduler's heartbeat, and the dependency
probes (TLS certificates, API keys)."""

from datetime import datetime, timedelta

from checklist.verifiers import Result, verifier
from monitoring.selectors import probes, scheduler_last_seen
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


@verifier("ssl_certificates_valid")
def ssl_certificates_valid(now: datetime) -> Result:
    """Every https dependency's fresh probe shows a certificate valid > CERT_EXPIRY_ALERT_DAYS."""
    verdict = probes.certificates_verdict(now=now)
    return verdict.ok, verdict.detail, None


@verifier("api_keys_valid")
def api_keys_valid(now: datetime) -> Result:
    """Every enabled API key succeeded with its provider within the last hour."""
    verdict = probes.api_keys_verdict(now=now)
    return verdict.ok, verdict.detail, None
