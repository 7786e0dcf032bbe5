import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from deployments.models import (
    CheckRunKind,
    Deployment,
    DeploymentStatus,
    PreflightRun,
    SmokeTestRun,
)
from deployments.services import (
    CheckResult,
    check_results_table,
    check_run,
    check_run_record,
    deployment_finish,
    deployment_record,
    deployment_start,
    deployment_step_record,
)

pytestmark = pytest.mark.django_db


def summary(**overrides):
    now = timezone.now()
    run = {"kind": "smoke", "target": "http://127.0.0.1:9", "started_at": now.isoformat(),
           "finished_at": now.isoformat(),
           "results": [{"name": "health", "status": "pass", "detail": "healthy",
                        "duration_ms": 3.0}]}
    return {"environment": "staging", "version": "abc123", "previous_version": "def456",
            "started_at": (now - datetime.timedelta(minutes=2)).isoformat(), "ok": True,
            "steps": [{"at": now.isoformat(), "step": "provision", "ok": True, "detail": ""}],
            "check_runs": [run, {**run, "kind": "preflight"}],
            "load": {"requests": 900, "failures": 0, "rps": 30.5, "p95_ms": 41.0},
            "rollback_ok": True, **overrides}


def test_a_check_that_raises_is_a_failure_with_its_message():
    def broken():
        raise ConnectionRefusedError("port 5432 refused")

    result = check_run("database", broken)
    assert result.failed and result.detail == "ConnectionRefusedError: port 5432 refused"
    table = check_results_table([result, CheckResult("cache", "pass", "ok")])
    assert "database  FAIL    ConnectionRefusedError" in table


def test_a_run_with_one_failed_check_is_recorded_as_failed():
    run = check_run_record(kind=CheckRunKind.PREFLIGHT, target="host", started_at=timezone.now(),
                           results=[CheckResult("a", "pass"), CheckResult("b", "fail", "why")])
    assert not run.ok and run.failed_checks == ["b"]
    assert list(PreflightRun.objects.all()) == [run]
    assert not SmokeTestRun.objects.exists()


def test_a_finished_deployment_cannot_finish_or_log_again():
    deployment = deployment_start(environment="staging", version="v2")
    deployment_step_record(deployment=deployment, step="migrate", ok=True)
    deployment = deployment_finish(deployment=deployment, ok=False, error="smoke failed")
    assert deployment.status == DeploymentStatus.FAILED and len(deployment.steps) == 1
    with pytest.raises(ValueError, match="already failed"):
        deployment_finish(deployment=deployment, ok=True)
    with pytest.raises(ValueError, match="not running"):
        deployment_step_record(deployment=deployment, step="late", ok=True)


def test_a_rehearsal_summary_becomes_a_deployment_with_its_check_runs():
    deployment = deployment_record(summary=summary(), imported=False)
    assert deployment.status == DeploymentStatus.SUCCEEDED
    assert (deployment.load_rps, deployment.load_p95_ms, deployment.rollback_ok) == (30.5, 41.0,
                                                                                     True)
    assert sorted(deployment.check_runs.values_list("kind", flat=True)) == ["preflight", "smoke"]


def test_record_deployment_rejects_a_broken_summary_in_one_line(tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "summary.json"
    path.write_text('{"ok": true}')
    with pytest.raises(CommandError, match="cannot record"):
        call_command("record_deployment", "--json", str(path))
    assert not Deployment.objects.exists()


@pytest.mark.parametrize("model", ["deployment", "preflightrun", "smoketestrun"])
def test_the_admin_lists_searches_and_shows_each_record(client, portal_admin, model):
    deployment = deployment_record(summary=summary(), imported=False)
    client.force_login(portal_admin)
    changelist = reverse(f"admin:deployments_{model}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"q": "abc"}).status_code == 200
    obj = deployment if model == "deployment" else deployment.check_runs.get(
        kind="preflight" if model == "preflightrun" else "smoke")
    page = client.get(reverse(f"admin:deployments_{model}_change", args=[obj.pk]))
    assert page.status_code == 200
    assert b"healthy" in page.content or b"provision" in page.content
    assert client.get(reverse(f"admin:deployments_{model}_add")).status_code == 403


def test_make_staging_records_its_rehearsal_as_seen_and_the_command_only_imports(tmp_path):
    import importlib.util
    import json
    from pathlib import Path

    from django.core.management import call_command

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("staging", root / "deploy" / "staging.py")
    staging = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(staging)
    recorded = staging.record_in_portal(summary())
    assert not recorded.imported and recorded.imported_by == ""
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(summary()))
    call_command("record_deployment", "--json", str(path), "--by", "alice")
    imported = Deployment.objects.exclude(pk=recorded.pk).get()
    assert imported.imported and imported.imported_by == "alice"
    assert str(imported).endswith("[imported]")
    with pytest.raises(ValueError, match="needs who imported it"):
        deployment_record(summary=summary(), imported=True, imported_by=" ")
