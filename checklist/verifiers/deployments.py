"""Verifiers reading deployments: recorded rehearsals (`make staging`).

The checklist pulls this evidence; deployments writes nothing into the checklist.
A pass ticks the item with the run or the deployment as its evidence object; a
failure leaves it open (a done item goes back to to do) and says why. Only runs
the portal saw count: a rehearsal imported with `record_deployment` is named in
the reason and never passes; every kind of evidence goes stale after its TTL.
"""

from datetime import datetime

from django.conf import settings

from checklist.verifiers import Result, verifier
from deployments.selectors import (
    deployment_check_runs_passed,
    deployment_latest,
    deployment_latest_with_load_test,
    deployment_latest_with_rollback,
    deployment_succeeded,
)


def stale_reason(*, when: datetime, now: datetime, ttl_days: int) -> str | None:
    """'stale: N days old, TTL M' when `when` is older than the TTL, else None."""
    age = now - when
    if age.total_seconds() <= ttl_days * 86400:
        return None
    return f"stale: {age.days} days old, TTL {ttl_days}"


def _only_imported(found, what: str) -> str:
    base = f"no {what} recorded by the portal (make staging)"
    if found is None:
        return base
    return (f"{base}; deployment {found.pk} was imported by {found.imported_by or '?'} "
            f"with record_deployment and does not count")


def _finished(deployment) -> datetime:
    return deployment.finished_at or deployment.started_at


@verifier("staging_deployed")
def staging_deployed(now: datetime) -> Result:
    deployment = deployment_latest(environment="staging", finished=True, imported=False)
    if deployment is None:
        imported = deployment_latest(environment="staging", finished=True, imported=True)
        return False, _only_imported(imported, "staging rehearsal"), None
    head = f"staging rehearsal {deployment.version}: {deployment.status}"
    stale = stale_reason(when=_finished(deployment), now=now,
                         ttl_days=settings.STAGING_EVIDENCE_MAX_AGE_DAYS)
    if stale:
        return False, f"{head}, {stale}", deployment
    if not deployment_succeeded(deployment):
        return False, head, deployment
    checks = deployment_check_runs_passed(deployment)
    missing = [kind for kind, ok in checks.items() if not ok]
    if missing:
        return False, f"{head}, but no passing {' and '.join(missing)} run", deployment
    return True, f"{head} (preflight and smoke test passed)", deployment


@verifier("load_test_passed")
def load_test_passed(now: datetime) -> Result:
    deployment = deployment_latest_with_load_test()
    if deployment is None:
        return False, _only_imported(deployment_latest_with_load_test(imported=True),
                                     "rehearsal with a load test"), None
    requests, failures = deployment.load_requests or 0, deployment.load_failures
    numbers = (f"{requests} requests, {deployment.load_rps} req/s, "
               f"p95 {deployment.load_p95_ms} ms, {failures} errors")
    stale = stale_reason(when=_finished(deployment), now=now,
                         ttl_days=settings.LOAD_TEST_EVIDENCE_MAX_AGE_DAYS)
    problems = [stale] if stale else []
    if requests < settings.LOAD_TEST_MIN_REQUESTS:
        problems.append(f"fewer than {settings.LOAD_TEST_MIN_REQUESTS} requests")
    if failures is None or (requests and failures / requests > settings.LOAD_TEST_MAX_ERROR_RATE):
        problems.append(f"error rate above {settings.LOAD_TEST_MAX_ERROR_RATE:.1%}")
    if deployment.load_p95_ms is None or deployment.load_p95_ms > settings.LOAD_TEST_MAX_P95_MS:
        problems.append(f"p95 above {settings.LOAD_TEST_MAX_P95_MS:g} ms")
    if problems:
        return False, f"{numbers}: {'; '.join(problems)}", deployment
    return True, numbers, deployment


@verifier("rollback_rehearsed")
def rollback_rehearsed(now: datetime) -> Result:
    deployment = deployment_latest_with_rollback()
    if deployment is None:
        return False, _only_imported(deployment_latest_with_rollback(imported=True),
                                     "rehearsal that tested a rollback"), None
    if not deployment.rollback_ok:
        return False, f"rollback to {deployment.previous_version} failed", deployment
    stale = stale_reason(when=_finished(deployment), now=now,
                         ttl_days=settings.ROLLBACK_EVIDENCE_MAX_AGE_DAYS)
    if stale:
        return False, f"rollback to {deployment.previous_version} {stale}", deployment
    return True, f"rollback to {deployment.previous_version} rehearsed", deployment
