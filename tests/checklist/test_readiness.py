import pytest

from checklist import plan_items
from checklist.models import ChecklistItem, ChecklistItemEvent, ItemStatus
from checklist.selectors import readiness_compute
from checklist.services import checklist_bootstrap
from checklist.services.items import checklist_item_set_status

pytestmark = pytest.mark.django_db


def test_a_fresh_bootstrap_is_no_go_with_every_required_plan_item_a_blocker(plan):
    readiness = readiness_compute()
    assert readiness["decision"] == "NO-GO"
    assert readiness["percent_complete"] == 0.0
    required = ChecklistItem.objects.filter(required=True)
    assert [b["item"] for b in readiness["blockers"]] == [i.text for i in required]
    # Only the decision itself is not an input to readiness.
    assert list(ChecklistItem.objects.filter(required=False).values_list("key", flat=True)) \
        == ["exit-go"]


def test_bootstrap_seeds_the_plans_items_word_for_word_in_their_categories(plan):
    categories = list(dict.fromkeys(plan.values_list("category", flat=True)))
    assert categories == ["Code Quality", "Infrastructure", "Features", "Documentation",
                          "Operations", "Compliance", "Final Verification",
                          "Deployment Checklist", "Phase Exit Criteria"]
    texts = set(plan.values_list("text", flat=True))
    assert {"Test coverage >80%", "Database consolidated (≤3 DBs)",
            "`/demo` bot 100% functional", "Environment variables set",
            "GO/NO-GO decision: GO ✅", "FAQ answers common questions"} <= texts
    assert plan.count() == sum(len(items) for _, items in plan_items.CHECKLIST) == 42


def test_bootstrap_is_idempotent_and_keeps_status_owner_and_evidence(plan, approver):
    item = ChecklistItem.objects.get(key="infra-ssl-valid")
    item.owner = approver
    checklist_item_set_status(item=item, status=ItemStatus.DONE, actor=approver,
                              evidence_url="https://ssllabs.example/report")
    checklist_bootstrap()
    item.refresh_from_db()
    assert ChecklistItem.objects.count() == 42
    assert (item.status, item.owner, item.evidence_url) == (
        ItemStatus.DONE, approver, "https://ssllabs.example/report")


def test_ticking_an_item_needs_evidence_and_is_recorded(plan, approver):
    item = ChecklistItem.objects.get(key="comp-tos")
    with pytest.raises(Exception, match="evidence"):
        checklist_item_set_status(item=item, status=ItemStatus.DONE, actor=approver)
    checklist_item_set_status(item=item, status=ItemStatus.DONE, actor=approver,
                              evidence_note="published at /terms, reviewed by legal")
    event = item.events.get()
    assert (event.from_status, event.to_status, event.actor) == ("todo", "done", approver)
    readiness = readiness_compute()
    assert readiness["percent_complete"] == round(100 / 41, 1)
    assert "Terms of Service published" not in [b["item"] for b in readiness["blockers"]]


def test_an_approved_waiver_is_recorded_on_the_item(plan, waive, approver):
    item = ChecklistItem.objects.get(key="final-load")
    waive(item, reason="Load tested on staging only; production load is watched by alerts.")
    item.refresh_from_db()
    event = item.events.get()
    assert event.kind == ChecklistItemEvent.Kind.WAIVED and event.actor == approver
    assert "Load tested on staging only" in event.note and "asked by asker" in event.note
    with pytest.raises(ValueError):
        checklist_item_set_status(item=item, status=ItemStatus.WAIVED)


def test_the_readiness_api_answers_exactly_the_contracts_shape(plan, read_client, api):
    assert api.get("/api/v1/readiness").status_code == 401
    response = read_client.get("/api/v1/readiness")
    assert response.status_code == 200
    body = response.json()
    # The contract's keys, and the extensions: waivers, items, the latest decision.
    assert set(body) == {"decision", "percent_complete", "blockers", "waivers", "items",
                         "latest_decision"}
    assert body["decision"] == "NO-GO"
    assert set(body["blockers"][0]) == {"category", "item", "reason"}
    assert body["blockers"][0] == {"category": "Code Quality", "item": "All phases 1-7 complete",
                                   "reason": "to do, no evidence yet"}


def test_the_readiness_api_is_go_once_every_required_item_is_closed(
        plan, read_client, close_all_but):
    close_all_but()
    body = read_client.get("/api/v1/readiness").json()
    assert (body["decision"], body["percent_complete"], body["blockers"]) == ("GO", 100.0, [])
    assert body["waivers"] and all(w["approved_by"] == "approver" for w in body["waivers"])


def test_the_readiness_api_uses_a_bounded_number_of_queries(plan, read_client,
                                                           django_assert_max_num_queries):
    # token, items (with their verification and waiver), waivers, latest decision
    with django_assert_max_num_queries(5):
        read_client.get("/api/v1/readiness")


def test_evidence_can_be_a_recorded_object_that_must_exist(plan, approver):
    from django.contrib.contenttypes.models import ContentType

    from checklist.models import LaunchDecision
    from checklist.services.decisions import launch_decision_record

    approver.is_superuser = True
    approver.save()
    decision = launch_decision_record(decision="NO-GO", user=approver)
    item = ChecklistItem.objects.get(key="ops-rollback")
    item.evidence_content_type = ContentType.objects.get_for_model(LaunchDecision)
    item.evidence_object_id = "999"
    with pytest.raises(Exception, match="no launch decision with id 999"):
        checklist_item_set_status(item=item, status=ItemStatus.DONE, actor=approver)
    item.evidence_object_id = str(decision.pk)
    checklist_item_set_status(item=item, status=ItemStatus.DONE, actor=approver)
    item.refresh_from_db()
    assert item.evidence_object == decision and item.evidence_label == str(decision)
