"""Writes for deployments: check runs and deployment records."""

import dataclasses
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from deployments.models import (
    CheckRunKind,
    CheckStatus,
    Deployment,
    DeploymentCheckRun,
    DeploymentStatus,
)


@dataclasses.dataclass
class CheckResult:
    name: str
    status: str
    detail: str = ""
    duration_ms: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status == CheckStatus.FAIL


def check_run(name: str, fn: Callable[[], tuple[str, str]]) -> CheckResult:
    """Run one check `fn() -> (status, detail)`; an exception is a failure with its message."""
    started = time.perf_counter()
    try:
        status, detail = fn()
    except Exception as exc:  # a check that blows up has failed, and says why
        status, detail = CheckStatus.FAIL, f"{type(exc).__name__}: {exc}".strip()
    return CheckResult(name=name, status=str(status), detail=detail.splitlines()[0][:300]
                       if detail else "",
                       duration_ms=round((time.perf_counter() - started) * 1000, 1))


def check_results_table(results: list[CheckResult]) -> str:
    """The results as a fixed-width text table, for the terminal."""
    width = max([len(r.name) for r in results] + [5])
    lines = [f"{'CHECK':<{width}}  STATUS  DETAIL", f"{'-' * width}  ------  ------"]
    for r in results:
        lines.append(f"{r.name:<{width}}  {r.status.upper():<6}  {r.detail}")
    return "\n".join(lines)


def check_run_record(*, kind: str, target: str, results: list[CheckResult],
                     started_at: datetime, finished_at: datetime | None = None,
                     deployment: Deployment | None = None) -> DeploymentCheckRun:
    """Store one preflight or smoke-test run; ok means no check failed."""
    if kind not in CheckRunKind.values:
        raise ValueError(f"unknown check run kind {kind!r}")
    run = DeploymentCheckRun(
        kind=kind, target=target[:300], deployment=deployment,
        ok=not any(r.failed for r in results), started_at=started_at,
        finished_at=finished_at or timezone.now(),
        results=[dataclasses.asdict(r) for r in results],
    )
    run.full_clean()
    run.save()
    return run


def deployment_start(*, environment: str, version: str, previous_version: str = "") -> Deployment:
    """A new running deployment."""
    deployment = Deployment(environment=environment, version=version,
                            previous_version=previous_version, started_at=timezone.now())
    deployment.full_clean()
    deployment.save()
    return deployment


def deployment_step_record(*, deployment: Deployment, step: str, ok: bool,
                           detail: str = "") -> Deployment:
    """Append one step to a running deployment's log."""
    with transaction.atomic():
        deployment = Deployment.objects.select_for_update().get(pk=deployment.pk)
        if deployment.status != DeploymentStatus.RUNNING:
            raise ValueError(f"deployment {deployment.pk} is {deployment.status}, not running")
        deployment.steps = [*deployment.steps, {"at": timezone.now().isoformat(),
                                                 "step": step, "ok": ok, "detail": detail}]
        deployment.save(update_fields=["steps"])
    return deployment


def deployment_finish(*, deployment: Deployment, ok: bool, load: dict | None = None,
                      rollback_ok: bool | None = None, error: str = "") -> Deployment:
    """Close a running deployment as succeeded or failed; a finished one cannot change."""
    load = load or {}
    with transaction.atomic():
        deployment = Deployment.objects.select_for_update().get(pk=deployment.pk)
        if deployment.status != DeploymentStatus.RUNNING:
            raise ValueError(f"deployment {deployment.pk} is already {deployment.status}")
        deployment.status = DeploymentStatus.SUCCEEDED if ok else DeploymentStatus.FAILED
        deployment.finished_at = timezone.now()
        deployment.load_requests = load.get("requests")
        deployment.load_failures = load.get("failures")
        deployment.load_rps = load.get("rps")
        deployment.load_p95_ms = load.get("p95_ms")
        deployment.rollback_ok = rollback_ok
        deployment.error = error
        deployment.full_clean()
        deployment.save()
    return deployment


def _when(value: str) -> Any:
    # None for a malformed time: full_clean and the NOT NULL column refuse it, as before.
    return parse_datetime(value)


def deployment_record(*, summary: dict, imported: bool = True,
                      imported_by: str = "") -> Deployment:
    """Store a finished rehearsal described by `deploy/staging.py`'s JSON summary.

    The rehearsal runs against a throwaway database; this copies its outcome,
    and the preflight and smoke-test runs it made, into the portal's own.
    Only `deploy/staging.py` itself records with imported=False; a summary fed in
    any other way is imported (who by is required) and is never checklist evidence.
    """
    if imported and not imported_by.strip():
        raise ValueError("an imported deployment needs who imported it")
    with transaction.atomic():
        deployment = Deployment(
            environment=summary.get("environment", "staging"),
            version=summary["version"], previous_version=summary.get("previous_version", ""),
            started_at=_when(summary["started_at"]), steps=summary.get("steps", []),
            imported=imported, imported_by=imported_by.strip()[:150] if imported else "",
        )
        deployment.full_clean()
        deployment.save()
        for run in summary.get("check_runs", []):
            check_run_record(
                kind=run["kind"], target=run.get("target", ""), deployment=deployment,
                results=[CheckResult(**r) for r in run["results"]],
                started_at=_when(run["started_at"]),
                finished_at=parse_datetime(run["finished_at"]),
            )
        return deployment_finish(deployment=deployment, ok=summary["ok"],
                                 load=summary.get("load"), rollback_ok=summary.get("rollback_ok"),
                                 error=summary.get("error", ""))
