"""Deployment results as launch-checklist evidence (the checklist app's items).

Only items no automated verifier owns are ticked here; a verifier would
overwrite them on its next run. A pass ticks the item with the run or the
deployment as its evidence object; a failure blocks it and says why.
"""

from deployments.models import CheckStatus, Deployment, DeploymentCheckRun, DeploymentStatus

try:  # pragma: no cover - which branch runs depends on what is merged
    from checklist.models import ChecklistItem, ItemStatus
    from checklist.services.items import checklist_item_set_status
except ImportError:  # the checklist (issue 7) is not on this branch yet: nothing to tick
    ChecklistItem = None

# checklist item key -> the preflight checks that decide it
PREFLIGHT_ITEMS = {"deploy-api-keys": ("notification channels", "rpc endpoints")}


def checklist_available() -> bool:
    return ChecklistItem is not None


def _tick(*, key: str, passed: bool, evidence, note: str) -> str | None:
    if ChecklistItem is None:
        return None
    item = ChecklistItem.objects.filter(key=key, verifier_key__isnull=True).first()
    if item is None or item.status == ItemStatus.WAIVED:
        return None
    status = ItemStatus.DONE if passed else ItemStatus.BLOCKED
    checklist_item_set_status(item=item, status=status, evidence_object=evidence,
                              evidence_note=note, note=note)
    return f"{key}: {status}"


def preflight_evidence_record(*, run: DeploymentCheckRun) -> list[str]:
    """Tick (or block) the checklist items a preflight run decides."""
    by_name = {r["name"]: r for r in run.results}
    changed = []
    for key, names in PREFLIGHT_ITEMS.items():
        results = [by_name[n] for n in names
                   if n in by_name and by_name[n]["status"] != CheckStatus.SKIP]
        if not results:
            continue
        passed = all(r["status"] == CheckStatus.PASS for r in results)
        note = "; ".join(f"{r['name']}: {r['detail']}" for r in results)
        changed.append(_tick(key=key, passed=passed, evidence=run, note=f"preflight: {note}"))
    return [c for c in changed if c]


def deployment_evidence_record(*, deployment: Deployment) -> list[str]:
    """Tick (or block) staging, load-test and rollback items from a finished rehearsal."""
    ok = deployment.status == DeploymentStatus.SUCCEEDED
    changed = [_tick(key="exit-staging", passed=ok, evidence=deployment,
                     note=f"staging rehearsal {deployment.version}: {deployment.status}")]
    if deployment.load_requests is not None:
        changed.append(_tick(
            key="final-load", passed=deployment.load_failures == 0, evidence=deployment,
            note=f"{deployment.load_requests} requests, {deployment.load_rps} req/s, "
                 f"p95 {deployment.load_p95_ms} ms, {deployment.load_failures} errors"))
    if deployment.rollback_ok is not None:
        changed.append(_tick(key="ops-rollback", passed=deployment.rollback_ok,
                             evidence=deployment,
                             note=f"rollback to {deployment.previous_version} rehearsed"))
    return [c for c in changed if c]
