"""Verifiers reading deployments: recorded rehearsals (`make staging`).

The checklist pulls this evidence; deployments writes nothing into the checklist.
A pass ticks the item with the run or the deployment as its evidence object; a
failure leaves it open (a done item goes back to to do) and says why.
"""

from datetime import datetime

from checklist.verifiers import Result, verifier
from deployments.selectors import (
    deployment_latest,
    deployment_latest_with_load_test,
    deployment_latest_with_rollback,
    deployment_succeeded,
)


@verifier("staging_deployed")
def staging_deployed(now: datetime) -> Result:
    deployment = deployment_latest(environment="staging", finished=True)
    if deployment is None:
        return False, "no staging rehearsal recorded (make staging)", None
    return (deployment_succeeded(deployment),
            f"staging rehearsal {deployment.version}: {deployment.status}", deployment)


@verifier("load_test_passed")
def load_test_passed(now: datetime) -> Result:
    deployment = deployment_latest_with_load_test()
    if deployment is None:
        return False, "no recorded rehearsal ran a load test (make staging)", None
    return deployment.load_failures == 0, (
        f"{deployment.load_requests} requests, {deployment.load_rps} req/s, "
        f"p95 {deployment.load_p95_ms} ms, {deployment.load_failures} errors"), deployment


@verifier("rollback_rehearsed")
def rollback_rehearsed(now: datetime) -> Result:
    deployment = deployment_latest_with_rollback()
    if deployment is None:
        return False, "no recorded rehearsal tested a rollback (make staging)", None
    return bool(deployment.rollback_ok), (
        f"rollback to {deployment.previous_version} rehearsed"), deployment
