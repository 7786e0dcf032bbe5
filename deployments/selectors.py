"""Reads for deployments."""

from deployments.models import CheckRunKind, Deployment, DeploymentCheckRun


def check_run_latest(*, kind: str) -> DeploymentCheckRun | None:
    return DeploymentCheckRun.objects.filter(kind=kind).order_by("-started_at").first()


def preflight_latest() -> DeploymentCheckRun | None:
    return check_run_latest(kind=CheckRunKind.PREFLIGHT)


def deployment_latest(*, environment: str | None = None) -> Deployment | None:
    qs = Deployment.objects.all()
    if environment:
        qs = qs.filter(environment=environment)
    return qs.order_by("-started_at").first()
