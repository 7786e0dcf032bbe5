"""Issue 19: a GO/NO-GO that cannot be forged (waivers, sign-offs, revocation, history)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from checklist.models import ChecklistItem, ItemStatus, VerdictEvent, Waiver
from checklist.selectors import readiness_compute
from checklist.services.decisions import launch_decision_record, launch_decision_sign_off
from checklist.services.verification import checklist_verify
from checklist.services.waivers import (
    waiver_approve,
    waiver_reject,
    waiver_request,
    waivers_expire,
)
from tests.checklist.conftest import REASON

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def item(key):
    return ChecklistItem.objects.get(key=key)


def soon(days=7):
    return timezone.now() + days * DAY


@pytest.mark.parametrize("reason", [".", "n/a", "ok ok ok ok ok ok ok ok ok ok ok ok",
                                    "because                                        ",
                                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"])
def test_a_waiver_without_a_real_reason_is_refused(plan, asker, reason):
    with pytest.raises(ValidationError, match="real reason"):
        waiver_request(item=item("final-load"), reason=reason, expires_at=soon(), user=asker)
    assert not Waiver.objects.exists()


def test_a_waiver_needs_an_expiry_in_the_next_30_days(plan, asker):
    for expires, message in [(None, "expiry date"), (timezone.now() - DAY, "future"),
                             (soon(31), "at most 30 days")]:
        with pytest.raises(ValidationError, match=message):
            waiver_request(item=item("final-load"), reason=REASON, expires_at=expires,
                           user=asker)


def test_twenty_four_dot_waivers_no_longer_make_a_go(plan, asker, approver, portal_admin):
    keys = list(ChecklistItem.objects.filter(required=True).values_list("key", flat=True))[:24]
    for key in keys:
        with pytest.raises(ValidationError):
            waiver_request(item=item(key), reason=".", expires_at=soon(), user=asker)
    assert readiness_compute()["decision"] == "NO-GO"
    with pytest.raises(ValidationError, match="GO refused"):
        launch_decision_record(decision="GO", user=portal_admin)


def test_only_a_different_admin_approves_and_the_approver_is_who_acted(
        plan, asker, approver, operator, portal_admin):
    waiver = waiver_request(item=item("final-load"), reason=REASON, expires_at=soon(),
                            user=asker)
    assert item("final-load").status == ItemStatus.TODO  # pending closes nothing
    with pytest.raises(PermissionDenied, match="Only an Admin"):
        waiver_approve(waiver=waiver, user=operator)  # an Operator cannot, whatever he types
    own = waiver_request(item=item("comp-tos"), reason=REASON, expires_at=soon(),
                         user=portal_admin)
    with pytest.raises(PermissionDenied, match="someone other than who asked"):
        waiver_approve(waiver=own, user=portal_admin)
    waiver_approve(waiver=waiver, user=approver, note="risk accepted")
    waiver.refresh_from_db()
    assert (waiver.state, waiver.decided_by) == ("approved", approver)
    assert item("final-load").status == ItemStatus.WAIVED
    assert "Final: Load test" not in str(readiness_compute()["blockers"])
    with pytest.raises(ValidationError, match="not pending"):
        waiver_approve(waiver=waiver, user=portal_admin)
    kinds = list(VerdictEvent.objects.order_by("at", "id").values_list("kind", "actor__username"))
    assert ("waiver_requested", "asker") in kinds and ("waiver_approved", "approver") in kinds


def test_waived_cannot_be_typed_into_the_item_page(client, plan, operator):
    client.force_login(operator)
    target = item("final-load")
    url = reverse("admin:checklist_checklistitem_change", args=[target.pk])
    form = {"required": "on", "owner": "", "status": "waived", "evidence_url": "",
            "evidence_note": "", "evidence_content_type": "", "evidence_object_id": "",
            "evidence_label": "", "waiver_reason": "approved by boss", "waived_by": "1",
            "waivers-TOTAL_FORMS": "0", "waivers-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
            "verifications-TOTAL_FORMS": "0", "verifications-INITIAL_FORMS": "0"}
    response = client.post(url, form)
    assert response.status_code == 200 and "approved waiver" in response.content.decode()
    assert item("final-load").status == ItemStatus.TODO


def test_an_expired_waiver_is_a_blocker_again_and_on_record(plan, waive):
    waiver = waive(item("final-load"), days=2)
    later = timezone.now() + 3 * DAY
    blockers = readiness_compute(now=later)["blockers"]
    assert any(b["item"] == "Load test passed" and "waiver expired" in b["reason"]
               for b in blockers)
    assert waivers_expire(now=later) == ["waiver of final-load expired"]
    waiver.refresh_from_db()
    assert waiver.state == "expired" and item("final-load").status == ItemStatus.TODO
    assert item("final-load").events.first().note.startswith(f"waiver #{waiver.pk} expired")
    assert waivers_expire(now=later) == []


def test_the_checklist_pass_expires_waivers(plan, waive):
    waiver = waive(item("final-load"), days=1)
    Waiver.objects.filter(pk=waiver.pk).update(expires_at=timezone.now() - datetime.timedelta(
        minutes=1))
    assert "1 waiver(s) expired" in checklist_verify()["summary"]
    assert item("final-load").status == ItemStatus.TODO


def test_an_asker_withdraws_and_an_admin_rejects(plan, asker, approver):
    first = waiver_request(item=item("final-load"), reason=REASON, expires_at=soon(),
                           user=asker)
    with pytest.raises(ValidationError, match="already has a pending"):
        waiver_request(item=item("final-load"), reason=REASON, expires_at=soon(), user=asker)
    assert waiver_reject(waiver=first, user=asker).state == "withdrawn"
    second = waiver_request(item=item("final-load"), reason=REASON, expires_at=soon(),
                            user=asker)
    assert waiver_reject(waiver=second, user=approver, note="test it").state == "rejected"
    assert item("final-load").status == ItemStatus.TODO


def _session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_waivers_over_the_api_are_a_persons_act(plan, asker, approver, write_client):
    body = {"item": "final-load", "reason": REASON, "expires_at": soon().isoformat(),
            "approved_by": "approver"}  # an approver named in the body is ignored
    refused = write_client.post("/api/v1/waivers", body, format="json")
    assert refused.status_code == 403 and "person's act" in refused.json()["detail"]
    created = _session(asker).post("/api/v1/waivers", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["state"] == "pending" and created.json()["approved_by"] is None
    pk = created.json()["id"]
    bad = _session(asker).post("/api/v1/waivers", body | {"reason": "."}, format="json")
    assert bad.status_code == 400 and "reason" in bad.json()
    assert _session(asker).post(f"/api/v1/waivers/{pk}/approve").status_code == 403
    assert write_client.post(f"/api/v1/waivers/{pk}/approve").status_code == 403
    approved = _session(approver).post(f"/api/v1/waivers/{pk}/approve", {"note": "ok"},
                                       format="json")
    assert approved.status_code == 200 and approved.json()["approved_by"] == "approver"
    assert _session(approver).post("/api/v1/waivers/999/approve").status_code == 404
    listed = _session(asker).get("/api/v1/waivers?state=approved").json()
    assert [w["id"] for w in listed["results"]] == [pk]


def test_a_go_counts_only_once_every_role_signed_by_different_people(
        plan, portal_admin, incident_commander, operator, close_all_but):
    close_all_but()
    record = launch_decision_record(decision="GO", user=portal_admin)
    assert list(record.signoffs.values_list("role", flat=True)) == ["Admin"]
    assert record.signed_at is None
    with pytest.raises(PermissionDenied):
        launch_decision_sign_off(record=record, user=operator)  # holds no sign-off role
    with pytest.raises(ValidationError, match="each role is a different person"):
        launch_decision_sign_off(record=record, user=portal_admin, role="Admin")
    portal_admin.groups.add(incident_commander.groups.get())
    with pytest.raises(ValidationError, match="different person"):
        launch_decision_sign_off(record=record, user=portal_admin, role="Incident Commander")
    launch_decision_sign_off(record=record, user=incident_commander, note="on duty")
    record.refresh_from_db()
    assert record.signed_at is not None
    assert item("exit-go").status == ItemStatus.DONE
    checklist_verify()  # the go_recorded verifier agrees
    last = item("exit-go").verifications.first()
    assert last.passed and "signed off by Admin boss, Incident Commander commander" in last.detail


def test_a_no_go_is_never_signed(plan, portal_admin, incident_commander):
    record = launch_decision_record(decision="NO-GO", user=portal_admin)
    with pytest.raises(ValidationError, match="Only a GO"):
        launch_decision_sign_off(record=record, user=incident_commander)


def test_a_go_revokes_itself_when_evidence_regresses_and_tells_the_channels(
        plan, portal_admin, incident_commander, close_all_but, docs_site, page_channel,
        webhook):
    close_all_but("doc-runbook", "exit-checklist-100")
    checklist_verify()
    record = launch_decision_record(decision="GO", user=portal_admin)
    launch_decision_sign_off(record=record, user=incident_commander)
    (docs_site / "runbook" / "index.html").unlink()
    result = checklist_verify()
    record.refresh_from_db()
    assert result["regressed"] == record and "revoked" in result["summary"]
    assert "Runbook ready" in record.regression_reason
    assert any("Launch GO revoked" in str(m) for m in webhook.messages())
    assert VerdictEvent.objects.filter(kind="revoked", decision=record).exists()
    with pytest.raises(ValidationError, match="revoked"):
        launch_decision_sign_off(record=record, user=incident_commander)


def test_the_readiness_api_page_record_and_markdown_show_waivers_and_signoffs(
        client, plan, portal_admin, incident_commander, read_client, waive, close_all_but):
    close_all_but()
    admin_api, ic_api = _session(portal_admin), _session(incident_commander)
    created = admin_api.post("/api/v1/decisions", {"decision": "GO", "note": "ship"},
                             format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["state"] == "awaiting sign-off"
    assert read_client.post("/api/v1/decisions", {"decision": "GO"},
                            format="json").status_code == 403
    signed = ic_api.post(f"/api/v1/decisions/{pk}/signoffs", {"note": "IC on duty"},
                         format="json")
    assert signed.status_code == 201 and signed.json()["state"] == "signed"
    assert [s["role"] for s in signed.json()["signoffs"]] == ["Admin", "Incident Commander"]
    body = read_client.get("/api/v1/readiness").json()
    assert body["waivers"] and body["latest_decision"]["state"] == "signed"
    waived = [i for i in body["items"] if i["status"] == "waived"]
    assert waived and all(i["waiver_id"] for i in waived)
    markdown = read_client.get(f"/api/v1/decisions/{pk}?format=md")
    assert markdown.status_code == 200 and markdown["Content-Type"].startswith("text/markdown")
    text = markdown.content.decode()
    assert "## Sign-offs" in text and "Incident Commander: **commander**" in text
    assert "## Waivers" in text and "approved by approver" in text
    client.force_login(portal_admin)
    page = client.get("/readiness/").content.decode()
    assert 'id="waivers"' in page and 'id="signoffs"' in page and "commander" in page
    assert 'id="history-link"' in page
    history = client.get("/readiness/history").content.decode()
    for what in ("waiver approved", "decision recorded", "sign-off", "GO fully signed off"):
        assert what in history
    record_page = client.get(reverse("admin:checklist_launchdecision_change",
                                     args=[pk])).content.decode()
    assert "format=md" in record_page and "Incident Commander" in record_page


def test_a_missing_decision_is_a_json_404_even_when_markdown_is_asked(read_client):
    response = read_client.get("/api/v1/decisions/999?format=md")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"] == "no decision has this id"
