"""Reads for deployments (the launch checklist's verifiers read these)."""

from deployments.models import (
    CheckRunKind,
    Deployment,
    DeploymentCheckRun,
    DeploymentStatus,
)


def check_run_latest(*, kind: str) -> DeploymentCheckRun | None:
    return DeploymentCheckRun.objects.filter(kind=kind).order_by("-started_at").first()


def preflight_latest() -> DeploymentCheckRun | None:
    return check_run_latest(kind=CheckRunKind.PREFLIGHT)


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
