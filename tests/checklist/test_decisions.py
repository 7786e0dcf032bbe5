import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from checklist.models import ChecklistItem, ItemStatus, LaunchDecision
from checklist.services.decisions import launch_decision_record, launch_decision_sign_off
from checklist.services.launch import launch_ensure, launch_schedule
from checklist.services.verification import checklist_verify

pytestmark = pytest.mark.django_db


def test_a_go_is_refused_while_a_required_item_is_open(plan, portal_admin, close_all_but):
    close_all_but("comp-privacy")
    with pytest.raises(ValidationError, match=r"GO refused: 1 required item\(s\) open "
                                              r"\(Compliance: Privacy policy published\)"):
        launch_decision_record(decision="GO", user=portal_admin)
    assert not LaunchDecision.objects.exists()


def test_a_no_go_is_recorded_with_a_frozen_copy_of_the_readiness(plan, portal_admin):
    decision = launch_decision_record(decision="NO-GO", user=portal_admin, note="not yet")
    assert decision.snapshot["decision"] == "NO-GO"
    assert len(decision.snapshot["items"]) == 42
    assert len(decision.snapshot["blockers"]) == 41
    assert decision.snapshot["items"][0]["text"] == "All phases 1-7 complete"


def test_only_an_admin_records_a_decision(plan, operator, close_all_but):
    close_all_but()
    with pytest.raises(PermissionDenied):
        launch_decision_record(decision="GO", user=operator)


def test_a_go_is_recorded_when_all_required_items_are_done_or_waived(
        plan, portal_admin, incident_commander, close_all_but):
    close_all_but()
    decision = launch_decision_record(decision="GO", user=portal_admin, note="ship it")
    assert (decision.decision, decision.decided_by) == ("GO", portal_admin)
    frozen = {i["key"]: i for i in decision.snapshot["items"]}
    assert frozen["comp-tos"]["status"] in ("done", "waived")
    assert frozen["cq-test-coverage"]["evidence"] or frozen["cq-test-coverage"]["waiver"]
    assert decision.snapshot["waivers"] and frozen["cq-test-coverage"]["waiver"]["approved_by"]
    go_item = ChecklistItem.objects.get(key="exit-go")
    assert go_item.status == ItemStatus.TODO  # the Admin signed; the IC has not yet
    launch_decision_sign_off(record=decision, user=incident_commander)
    go_item.refresh_from_db()
    assert go_item.status == ItemStatus.DONE and go_item.evidence_object == decision


def test_a_recorded_go_is_flagged_when_evidence_regresses_before_launch(
        plan, portal_admin, close_all_but, docs_site):
    close_all_but("doc-runbook", "exit-checklist-100")
    checklist_verify()  # the runbook is built: its verifier ticks it, then the 100 % item
    assert ChecklistItem.objects.get(key="exit-checklist-100").status == ItemStatus.DONE
    launch, _ = launch_ensure()
    launch_schedule(launch=launch, launch_at=timezone.now() + timezone.timedelta(days=2))
    decision = launch_decision_record(decision="GO", user=portal_admin)
    assert checklist_verify()["regressed"] is None
    (docs_site / "runbook" / "index.html").unlink()
    result = checklist_verify()
    decision.refresh_from_db()
    assert decision.regressed_at is not None
    assert "Runbook ready" in decision.regression_reason
    assert result["regressed"] == decision
    assert ChecklistItem.objects.get(key="exit-go").status == ItemStatus.TODO
    # flagged once: the next run does not flag it again
    assert checklist_verify()["regressed"] is None


def test_a_regression_after_launch_does_not_flag_the_go(plan, portal_admin, close_all_but,
                                                        docs_site):
    close_all_but("doc-runbook", "exit-checklist-100")
    checklist_verify()
    launch, _ = launch_ensure()
    launch_schedule(launch=launch, launch_at=timezone.now() - timezone.timedelta(hours=1))
    decision = launch_decision_record(decision="GO", user=portal_admin)
    (docs_site / "runbook" / "index.html").unlink()
    checklist_verify()
    decision.refresh_from_db()
    assert decision.regressed_at is None
