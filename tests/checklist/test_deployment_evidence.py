"""The checklist pulls its deployment evidence: recorded rehearsals.

"API keys valid" is decided by the API-key checks (tests/checklist/test_probe_evidence.py).
"""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from checklist.models import ChecklistItem, ItemStatus
from checklist.services.verification import checklist_verify
from deployments.models import Deployment
from deployments.services import deployment_record
from tests.deployments.test_deployments import summary

pytestmark = pytest.mark.django_db


def item(key):
    return ChecklistItem.objects.get(key=key)


def last_result(key):
    return item(key).verifications.order_by("-checked_at", "-pk").first()


def rehearsal(**overrides):
    """A rehearsal as `make staging` records it (deploy/staging.py, in-process)."""
    return deployment_record(summary=summary(**overrides), imported=False)


def test_a_passing_rehearsal_ticks_staging_load_and_rollback_with_the_deployment(plan):
    deployment = rehearsal()
    checklist_verify()
    for key in ["exit-staging", "final-load", "ops-rollback"]:
        it = item(key)
        assert it.status == ItemStatus.DONE and it.evidence_object == deployment, key
    assert "staging rehearsal abc123: succeeded" in item("exit-staging").evidence_note
    assert "900 requests, 30.5 req/s, p95 41.0 ms, 0 errors" in item("final-load").evidence_note
    assert "rollback to def456 rehearsed" in item("ops-rollback").evidence_note


def test_a_failed_rollback_leaves_its_items_open_and_says_why(plan):
    deployment = rehearsal(ok=False, rollback_ok=False)
    checklist_verify()
    for key in ["exit-staging", "ops-rollback"]:
        assert item(key).status == ItemStatus.TODO, key
        result = last_result(key)
        assert not result.passed and result.evidence_object == deployment
    assert last_result("exit-staging").detail == "staging rehearsal abc123: failed"
    assert item("final-load").status == ItemStatus.DONE  # the load test itself passed


def test_a_later_failed_rehearsal_turns_a_done_item_back_to_todo(plan):
    rehearsal()
    checklist_verify()
    assert item("exit-staging").status == ItemStatus.DONE
    later = summary(ok=False, load={"requests": 900, "failures": 30, "rps": 30.0,
                                    "p95_ms": 80.0})
    later["started_at"] = timezone.now().isoformat()
    deployment_record(summary=later, imported=False)
    checklist_verify()
    assert item("exit-staging").status == ItemStatus.TODO
    assert item("final-load").status == ItemStatus.TODO
    assert "30 errors" in last_result("final-load").detail
    assert "error rate above 1.0%" in last_result("final-load").detail


def test_no_rehearsal_recorded_leaves_the_items_to_do(plan):
    checklist_verify()
    for key in ["exit-staging", "final-load", "ops-rollback"]:
        assert item(key).status == ItemStatus.TODO
        assert "make staging" in last_result(key).detail


def test_a_waived_item_stays_waived(plan, waive):
    waive(item("ops-rollback"))
    rehearsal(rollback_ok=False)
    checklist_verify()
    assert item("ops-rollback").status == ItemStatus.WAIVED


def test_the_commands_point_at_verify_checklist_and_write_nothing_to_the_checklist(
        plan, tmp_path):
    import json

    path = tmp_path / "summary.json"
    path.write_text(json.dumps(summary()))
    out = io.StringIO()
    call_command("record_deployment", json_path=str(path), by="alice", stdout=out)
    assert "manage.py verify_checklist" in out.getvalue()
    assert "imported" in out.getvalue() and "by alice" in out.getvalue()
    assert item("exit-staging").status == ItemStatus.TODO
    out = io.StringIO()
    call_command("verify_checklist", stdout=out)
    # Even a well-formed, passing summary only counts when the portal saw the run.
    assert item("exit-staging").status == ItemStatus.TODO
    assert "imported by alice" in last_result("exit-staging").detail


HAND_WRITTEN = {"environment": "staging", "version": "v1.0.0", "previous_version": "v0.9",
                "ok": True, "load": {"requests": 1, "failures": 0, "rps": 1.0, "p95_ms": 5.0},
                "rollback_ok": True}


def test_forgery_a_hand_written_summary_ticks_nothing(plan, tmp_path):
    """Issue 19: 1 request, no checks, rollback_ok true, fed to record_deployment."""
    import json

    path = tmp_path / "forged.json"
    path.write_text(json.dumps({**HAND_WRITTEN, "started_at": timezone.now().isoformat()}))
    call_command("record_deployment", json_path=str(path), stdout=io.StringIO())
    deployment = Deployment.objects.get()
    assert deployment.imported and deployment.imported_by  # the OS user by default
    checklist_verify()
    for key in ["exit-staging", "final-load", "ops-rollback"]:
        assert item(key).status == ItemStatus.TODO, key
        result = last_result(key)
        assert not result.passed and "imported by" in result.detail, key
        assert "does not count" in result.detail


def test_forgery_the_same_numbers_recorded_by_the_portal_still_fail_their_checks(plan):
    deployment = deployment_record(summary={**HAND_WRITTEN,
                                            "started_at": timezone.now().isoformat()},
                                   imported=False)
    checklist_verify()
    assert item("exit-staging").status == ItemStatus.TODO
    assert "no passing preflight and smoke run" in last_result("exit-staging").detail
    load = last_result("final-load")
    assert not load.passed and load.evidence_object == deployment
    assert "fewer than 300 requests" in load.detail


def test_a_slow_load_test_fails_on_its_p95(plan, settings):
    settings.LOAD_TEST_MAX_P95_MS = 40.0
    rehearsal()
    checklist_verify()
    assert "p95 above 40 ms" in last_result("final-load").detail


@pytest.mark.parametrize("key,setting", [("exit-staging", "STAGING_EVIDENCE_MAX_AGE_DAYS"),
                                         ("final-load", "LOAD_TEST_EVIDENCE_MAX_AGE_DAYS"),
                                         ("ops-rollback", "ROLLBACK_EVIDENCE_MAX_AGE_DAYS")])
def test_rehearsal_evidence_goes_stale_after_its_ttl(plan, settings, key, setting):
    setattr(settings, setting, 3)
    deployment = rehearsal()
    Deployment.objects.filter(pk=deployment.pk).update(
        finished_at=timezone.now() - timedelta(days=5))
    checklist_verify()
    result = last_result(key)
    assert not result.passed and "stale: 5 days old, TTL 3" in result.detail
    assert item(key).status == ItemStatus.TODO


def test_the_admin_badges_an_imported_deployment(plan, client, portal_admin):
    from django.urls import reverse

    deployment_record(summary=summary(), imported=True, imported_by="mallory")
    client.force_login(portal_admin)
    page = client.get(reverse("admin:deployments_deployment_changelist"))
    assert b">imported</span> by mallory" in page.content
    page = client.get(reverse("admin:deployments_deployment_changelist"), {"imported__exact": "0"})
    assert b"mallory" not in page.content


def test_an_evidence_import_is_on_the_verdicts_history_with_who_imported_it(
        plan, client, portal_admin):
    imported = deployment_record(summary=summary(), imported=True, imported_by="mallory")
    client.force_login(portal_admin)
    page = client.get("/readiness/history").content.decode()
    assert "evidence imported" in page and "mallory" in page
    assert f"deployment #{imported.pk}" in page and "never evidence" in page
