"""The checklist pulls its deployment evidence: preflight runs and recorded rehearsals."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from checklist.models import ChecklistItem, ItemStatus
from checklist.services.verification import checklist_verify
from deployments.models import CheckRunKind
from deployments.services import CheckResult, check_run_record, deployment_record
from tests.deployments.test_deployments import summary

pytestmark = pytest.mark.django_db


def item(key):
    return ChecklistItem.objects.get(key=key)


def last_result(key):
    return item(key).verifications.order_by("-checked_at", "-pk").first()


def preflight(*results, minutes_ago=0):
    return check_run_record(kind=CheckRunKind.PREFLIGHT, target="h",
                            started_at=timezone.now() - timedelta(minutes=minutes_ago),
                            results=[CheckResult(*r) for r in results])


def test_a_passing_rehearsal_ticks_staging_load_and_rollback_with_the_deployment(plan):
    deployment = deployment_record(summary=summary())
    checklist_verify()
    for key in ["exit-staging", "final-load", "ops-rollback"]:
        it = item(key)
        assert it.status == ItemStatus.DONE and it.evidence_object == deployment, key
    assert "staging rehearsal abc123: succeeded" in item("exit-staging").evidence_note
    assert "900 requests, 30.5 req/s, p95 41.0 ms, 0 errors" in item("final-load").evidence_note
    assert "rollback to def456 rehearsed" in item("ops-rollback").evidence_note


def test_a_failed_rollback_leaves_its_items_open_and_says_why(plan):
    deployment = deployment_record(summary=summary(ok=False, rollback_ok=False))
    checklist_verify()
    for key in ["exit-staging", "ops-rollback"]:
        assert item(key).status == ItemStatus.TODO, key
        result = last_result(key)
        assert not result.passed and result.evidence_object == deployment
    assert last_result("exit-staging").detail == "staging rehearsal abc123: failed"
    assert item("final-load").status == ItemStatus.DONE  # the load test itself passed


def test_a_later_failed_rehearsal_turns_a_done_item_back_to_todo(plan):
    deployment_record(summary=summary())
    checklist_verify()
    assert item("exit-staging").status == ItemStatus.DONE
    later = summary(ok=False, load={"requests": 900, "failures": 3, "rps": 30.0,
                                    "p95_ms": 80.0})
    later["started_at"] = timezone.now().isoformat()
    deployment_record(summary=later)
    checklist_verify()
    assert item("exit-staging").status == ItemStatus.TODO
    assert item("final-load").status == ItemStatus.TODO
    assert "3 errors" in last_result("final-load").detail


def test_no_rehearsal_recorded_leaves_the_items_to_do(plan):
    checklist_verify()
    for key in ["exit-staging", "final-load", "ops-rollback"]:
        assert item(key).status == ItemStatus.TODO
        assert "make staging" in last_result(key).detail


def test_preflight_decides_api_keys_from_channels_and_rpc_checks(plan):
    run = preflight(("notification channels", "pass", "1 ok"),
                    ("rpc endpoints", "fail", "main: refused"))
    checklist_verify()
    result = last_result("deploy-api-keys")
    assert not result.passed and result.evidence_object == run
    assert result.detail == "preflight: notification channels: 1 ok; rpc endpoints: main: refused"
    assert item("deploy-api-keys").status == ItemStatus.TODO


def test_a_passing_preflight_ticks_api_keys_with_the_run(plan):
    run = preflight(("notification channels", "pass", "1 ok"), ("rpc endpoints", "pass", "2 ok"))
    checklist_verify()
    it = item("deploy-api-keys")
    assert it.status == ItemStatus.DONE and it.evidence_object == run


def test_checks_a_release_does_not_have_leave_the_item_alone(plan):
    preflight(("notification channels", "skip", ""), ("rpc endpoints", "skip", ""))
    checklist_verify()
    assert item("deploy-api-keys").status == ItemStatus.TODO
    assert "no preflight run has checked" in last_result("deploy-api-keys").detail


def test_a_later_preflight_that_skips_the_checks_keeps_the_earlier_decision(plan):
    earlier = preflight(("notification channels", "pass", "1 ok"),
                        ("rpc endpoints", "pass", "2 ok"), minutes_ago=10)
    preflight(("notification channels", "skip", ""), ("rpc endpoints", "skip", ""))
    checklist_verify()
    it = item("deploy-api-keys")
    assert it.status == ItemStatus.DONE and it.evidence_object == earlier


def test_a_rehearsals_own_preflight_runs_do_not_decide_api_keys(plan):
    runs = [{"kind": "preflight", "target": "staging", "started_at": timezone.now().isoformat(),
             "finished_at": timezone.now().isoformat(),
             "results": [{"name": "rpc endpoints", "status": "pass", "detail": "ok",
                          "duration_ms": 1.0}]}]
    deployment_record(summary=summary(check_runs=runs))
    checklist_verify()
    assert item("deploy-api-keys").status == ItemStatus.TODO


def test_a_waived_item_stays_waived(plan, waive):
    waive(item("ops-rollback"))
    deployment_record(summary=summary(rollback_ok=False))
    checklist_verify()
    assert item("ops-rollback").status == ItemStatus.WAIVED


def test_the_commands_point_at_verify_checklist_and_write_nothing_to_the_checklist(
        plan, tmp_path):
    import json

    path = tmp_path / "summary.json"
    path.write_text(json.dumps(summary()))
    out = io.StringIO()
    call_command("record_deployment", json_path=str(path), stdout=out)
    assert "manage.py verify_checklist" in out.getvalue()
    assert item("exit-staging").status == ItemStatus.TODO
    out = io.StringIO()
    call_command("verify_checklist", stdout=out)
    assert item("exit-staging").status == ItemStatus.DONE
