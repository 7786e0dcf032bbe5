"""The checklist pulls its deployment evidence: recorded rehearsals.

"API keys valid" is decided by the API-key checks (tests/checklist/test_probe_evidence.py).
"""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from checklist.models import ChecklistItem, ItemStatus
from checklist.services.verification import checklist_verify
from deployments.services import deployment_record
from tests.deployments.test_deployments import summary

pytestmark = pytest.mark.django_db


def item(key):
    return ChecklistItem.objects.get(key=key)


def last_result(key):
    return item(key).verifications.order_by("-checked_at", "-pk").first()


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
