"""Reads for deployments (the launch checklist's verifiers read these)."""

from deployments.models import (
    CheckRunKind,
    CheckStatus,
    Deployment,
    DeploymentCheckRun,
    DeploymentStatus,
)


def check_run_latest(*, kind: str) -> DeploymentCheckRun | None:
    return DeploymentCheckRun.objects.filter(kind=kind).order_by("-started_at").first()


def preflight_latest() -> DeploymentCheckRun | None:
    return check_run_latest(kind=CheckRunKind.PREFLIGHT)


def preflight_latest_with_checks(*, names) -> tuple[DeploymentCheckRun, list[dict]] | None:
    """The latest `manage.py preflight` run that ran any of `names` (not SKIP), with those
    checks' results in the order of `names`. A check a release does not have says SKIP and
    leaves the decision to an earlier run. Rehearsal runs (copied from a `make staging`
    throwaway database, with a deployment) check the rehearsal, not this portal: ignored."""
    runs = (DeploymentCheckRun.objects.filter(kind=CheckRunKind.PREFLIGHT,
                                              deployment__isnull=True)
            .order_by("-started_at", "-pk").only("pk", "results", "started_at", "ok"))
    for run in runs.iterator(chunk_size=50):
        by_name = {r["name"]: r for r in run.results}
        results = [by_name[n] for n in names
                   if n in by_name and by_name[n]["status"] != CheckStatus.SKIP]
        if results:
            return run, results
    return None


def check_results_passed(results: list[dict]) -> bool:
    return all(r["status"] == CheckStatus.PASS for r in results)


def deployment_latest(*, environment: str | None = None,
                      finished: bool = False) -> Deployment | None:
    qs = Deployment.objects.all()
    if environment:
        qs = qs.filter(environment=environment)
    if finished:
        qs = qs.exclude(status=DeploymentStatus.RUNNING)
    return qs.order_by("-started_at", "-pk").first()


def deployment_latest_with_load_test() -> Deployment | None:
    return (Deployment.objects.exclude(status=DeploymentStatus.RUNNING)
            .filter(load_requests__isnull=False).order_by("-started_at", "-pk").first())


def deployment_latest_with_rollback() -> Deployment | None:
    return (Deployment.objects.exclude(status=DeploymentStatus.RUNNING)
            .filter(rollback_ok__isnull=False).order_by("-started_at", "-pk").first())


def deployment_succeeded(deployment: Deployment) -> bool:
    return deployment.status == DeploymentStatus.SUCCEEDED
