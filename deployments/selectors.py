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


def check_run_latest_with(*, kind: str, name: str) -> DeploymentCheckRun | None:
    """The latest run of kind that ran check `name` (not skipped)."""
    runs = DeploymentCheckRun.objects.filter(kind=kind).order_by("-started_at", "-pk")
    for run in runs.iterator(chunk_size=20):
        if any(r["name"] == name and r["status"] != CheckStatus.SKIP for r in run.results):
            return run
    return None


def docs_examples_latest(*, name: str) -> DeploymentCheckRun | None:
    """The latest `check_docs` run that ran check `name` (the API examples)."""
    return check_run_latest_with(kind=CheckRunKind.DOCS, name=name)


def preflight_latest() -> DeploymentCheckRun | None:
    return check_run_latest(kind=CheckRunKind.PREFLIGHT)


def deployment_latest(*, environment: str | None = None, finished: bool = False,
                      imported: bool | None = None) -> Deployment | None:
    qs = Deployment.objects.all()
    if imported is not None:
        qs = qs.filter(imported=imported)
    if environment:
        qs = qs.filter(environment=environment)
    if finished:
        qs = qs.exclude(status=DeploymentStatus.RUNNING)
    return qs.order_by("-started_at", "-pk").first()


def deployment_latest_with_load_test(*, imported: bool = False) -> Deployment | None:
    return (Deployment.objects.exclude(status=DeploymentStatus.RUNNING)
            .filter(load_requests__isnull=False, imported=imported)
            .order_by("-started_at", "-pk").first())


def deployment_latest_with_rollback(*, imported: bool = False) -> Deployment | None:
    return (Deployment.objects.exclude(status=DeploymentStatus.RUNNING)
            .filter(rollback_ok__isnull=False, imported=imported)
            .order_by("-started_at", "-pk").first())


def deployment_check_runs_passed(deployment: Deployment) -> dict[str, bool]:
    """Per kind (preflight, smoke), whether the rehearsal ran one and every run passed."""
    seen: dict[str, bool] = {}
    for kind, ok in deployment.check_runs.values_list("kind", "ok"):
        seen[kind] = seen.get(kind, True) and ok
    return {kind: seen.get(kind, False) for kind in (CheckRunKind.PREFLIGHT, CheckRunKind.SMOKE)}


def deployment_succeeded(deployment: Deployment) -> bool:
    return deployment.status == DeploymentStatus.SUCCEEDED


def docs_site_results() -> list[dict]:
    """The built docs site checked now (each nav page with its title, internal links)."""
    import dataclasses

    from deployments.docs_check import docs_site_checks

    return [dataclasses.asdict(r) for r in docs_site_checks()]


def deployments_imported(*, limit: int = 500) -> list[Deployment]:
    """Deployments fed in with record_deployment, newest import first (never evidence)."""
    return list(Deployment.objects.filter(imported=True).order_by("-recorded_at")[:limit])
