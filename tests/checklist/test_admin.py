from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from checklist.models import (
    ChecklistItem,
    ItemStatus,
    Launch,
    LaunchDecision,
    PostLaunchReview,
    StepStatus,
    SuccessMetric,
    VerificationResult,
)
from checklist.services.decisions import launch_decision_record
from checklist.services.launch import launch_ensure, launch_schedule
from checklist.services.verification import checklist_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(plan, docs_site, portal_admin):
    checklist_verify()
    launch, _ = launch_ensure()
    launch_schedule(launch=launch, launch_at=launch.created_at)
    launch_decision_record(decision="NO-GO", user=portal_admin)


@pytest.mark.parametrize("model", [ChecklistItem, VerificationResult, LaunchDecision, Launch,
                                   PostLaunchReview, SuccessMetric])
def test_every_checklist_admin_page_renders_for_an_admin(client, seeded, portal_admin, model):
    client.force_login(portal_admin)
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"q": "x"}).status_code == 200
    obj = model.objects.first()
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert client.get(change).status_code == 200


def test_the_readiness_page_shows_blockers_first_and_progress_bars(client, seeded, viewer):
    client.force_login(viewer)
    response = client.get("/admin/checklist/readinessoverview/")
    assert response.status_code == 302 and response["Location"] == "/readiness/"
    page = client.get("/readiness/").content.decode()
    assert page.index("Blockers") < page.index("Progress per category")
    assert 'id="readiness-decision">NO-GO' in page
    assert 'class="bar"' in page and "Code Quality" in page
    assert "99.9% uptime" in page
    assert "Record a GO/NO-GO decision" not in page  # viewers do not decide


def test_the_readiness_page_needs_a_staff_login(client, plan):
    response = client.get("/readiness/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_operator_ticks_an_item_in_admin_with_evidence_and_it_is_recorded(
        client, plan, operator):
    client.force_login(operator)
    item = ChecklistItem.objects.get(key="comp-tos")
    url = reverse("admin:checklist_checklistitem_change", args=[item.pk])
    form = {"required": "on", "owner": "", "status": "done", "evidence_url": "",
            "evidence_note": "",
            "evidence_content_type": "", "evidence_object_id": "", "evidence_label": "",
            "waivers-TOTAL_FORMS": "0", "waivers-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
            "verifications-TOTAL_FORMS": "0", "verifications-INITIAL_FORMS": "0"}
    response = client.post(url, form)
    assert response.status_code == 200 and "only with evidence" in response.content.decode()
    response = client.post(url, form | {"evidence_url": "https://bot.example/terms"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == ItemStatus.DONE
    assert item.events.get().actor == operator


def test_operators_cannot_record_decisions_but_admins_can(client, plan, operator,
                                                          portal_admin, close_all_but):
    add = reverse("admin:checklist_launchdecision_add")
    client.force_login(operator)
    assert client.get(add).status_code == 403
    client.force_login(portal_admin)
    response = client.post(add, {"decision": "GO", "note": ""})
    assert response.status_code == 200 and "GO refused" in response.content.decode()
    assert not LaunchDecision.objects.exists()
    close_all_but()
    response = client.post(add, {"decision": "GO", "note": "all green"})
    assert response.status_code == 302
    decision = LaunchDecision.objects.get()
    assert (decision.decision, decision.decided_by) == ("GO", portal_admin)
    change = reverse("admin:checklist_launchdecision_change", args=[decision.pk])
    assert client.get(change).status_code == 200


def test_a_hand_entered_success_metric_records_who_entered_it(client, plan, operator):
    client.force_login(operator)
    metric = SuccessMetric.objects.get(key="retention")
    url = reverse("admin:checklist_successmetric_change", args=[metric.pk])
    response = client.post(url, {"entries-TOTAL_FORMS": "1", "entries-INITIAL_FORMS": "0",
                                 "entries-0-value": "0.6", "entries-0-source": "cohort export"})
    assert response.status_code == 302
    entry = metric.entries.get()
    assert entry.entered_by == operator and entry.source == "cohort export"


def test_the_readiness_page_costs_a_bounded_number_of_queries(client, plan, viewer,
                                                              close_all_but,
                                                              django_assert_max_num_queries):
    close_all_but()  # every item waived or done: approvers and evidence on the page
    client.force_login(viewer)
    # fixed cost: session, user, items, decision, metrics, the bot's scan; not one per item
    with django_assert_max_num_queries(21):
        assert client.get("/readiness/").status_code == 200


def test_an_operator_runs_the_verifiers_from_the_readiness_page(client, plan, docs_site,
                                                                 operator, viewer):
    client.force_login(viewer)
    assert client.post("/readiness/verify").status_code == 403
    client.force_login(operator)
    assert client.get("/readiness/verify").status_code == 405
    response = client.post("/readiness/verify", follow=True)
    assert response.redirect_chain[-1][0] == "/readiness/"
    assert "verified" in response.content.decode()
    assert ChecklistItem.objects.get(key="exit-docs").status == ItemStatus.DONE


def _launch_form(launch, **steps_changed) -> dict:
    steps = list(launch.steps.all())
    day = (timezone.now() + timedelta(days=7)).date().isoformat()
    data = {"name": launch.name, "launch_at_0": day, "launch_at_1": "15:00:00",
            "steps-TOTAL_FORMS": len(steps), "steps-INITIAL_FORMS": len(steps),
            "steps-MIN_NUM_FORMS": 0, "steps-MAX_NUM_FORMS": 1000}
    for i, step in enumerate(steps):
        data.update({f"steps-{i}-id": step.pk, f"steps-{i}-launch": launch.pk,
                     f"steps-{i}-owner": "", f"steps-{i}-status": step.status,
                     f"steps-{i}-notes": steps_changed.get(step.label, step.notes),
                     f"steps-{i}-evidence_url": step.evidence_url})
    return data


def test_a_launch_time_set_in_the_admin_plans_due_times_and_reviews_and_a_step_edit_saves(
        client, plan, portal_admin):
    launch, _ = launch_ensure()
    client.force_login(portal_admin)
    url = reverse("admin:checklist_launch_change", args=[launch.pk])
    assert client.post(url, _launch_form(launch)).status_code == 302
    launch.refresh_from_db()
    assert launch.launch_at is not None
    assert not launch.steps.filter(due_at__isnull=True).exists()
    assert PostLaunchReview.objects.filter(launch=launch).count() == 30 + 4
    response = client.post(url, _launch_form(launch, **{"T-6h": "ask the on-call"}))
    assert response.status_code == 302
    step = launch.steps.get(label="T-6h")
    assert (step.notes, step.status) == ("ask the on-call", StepStatus.PENDING)
    assert step.due_at is not None


def test_a_success_metric_entered_in_the_admin_records_who_and_when(client, plan, portal_admin):
    metric = SuccessMetric.objects.get(key="retention")
    client.force_login(portal_admin)
    url = reverse("admin:checklist_successmetric_change", args=[metric.pk])
    response = client.post(url, {
        "entries-TOTAL_FORMS": 1, "entries-INITIAL_FORMS": 0, "entries-MIN_NUM_FORMS": 0,
        "entries-MAX_NUM_FORMS": 1000, "entries-0-metric": metric.pk, "entries-0-value": "0.4",
        "entries-0-source": "the partner's dashboard"})
    assert response.status_code == 302
    entry = metric.entries.get()
    assert (entry.value, entry.source, entry.entered_by) == (
        0.4, "the partner's dashboard", portal_admin)
    assert entry.entered_at is not None


def test_a_measured_success_metric_offers_no_hand_entry_in_the_admin(client, plan,
                                                                       portal_admin):
    metric = SuccessMetric.objects.get(key="sleep-calls")
    client.force_login(portal_admin)
    url = reverse("admin:checklist_successmetric_change", args=[metric.pk])
    page = client.get(url).content.decode()
    assert "entries-TOTAL_FORMS" not in page and "scan:sleep_calls" in page
