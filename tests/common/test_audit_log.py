"""Audit log: who changed what, when, from where; append-only; browsable."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create
from common.audit import AUDITED_MODELS
from monitoring.models import Heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss_client(portal_admin):
    client = Client(REMOTE_ADDR="10.9.0.1")
    client.force_login(portal_admin)
    return client


def test_every_listed_model_is_registered_with_auditlog():
    for label in AUDITED_MODELS:
        assert auditlog.contains(apps.get_model(label)), label


def test_a_token_made_in_the_admin_is_logged_with_actor_address_and_masked_hash(
        boss_client, portal_admin):
    response = boss_client.post("/admin/accounts/apitoken/add/",
                                {"name": "bot ingest", "scopes": ["ingest"]}, follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.get(name="bot ingest")
    entry = LogEntry.objects.get_for_object(token).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == portal_admin and entry.remote_addr == "10.9.0.1"
    assert entry.changes_dict["name"] == [None, "bot ingest"]
    assert token.key_hash not in str(entry.changes)  # masked
    # Django's own admin log records the admin action too.
    assert AdminLogEntry.objects.filter(object_id=str(token.pk), user=portal_admin).exists()


def test_an_admin_action_is_logged_with_its_actor(boss_client, portal_admin):
    token, _ = api_token_create(name="old", scopes=["read"])
    boss_client.post("/admin/accounts/apitoken/", {"action": "revoke",
                                                   "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None
    entry = LogEntry.objects.get_for_object(token).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == portal_admin and "revoked_at" in entry.changes_dict


def test_an_api_write_names_the_token_as_its_actor(make_token):
    client = APIClient(REMOTE_ADDR="10.9.0.2")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('read,write', name='ci')}")
    response = client.post("/api/v1/heartbeats", {
        "name": "price scraper", "period_seconds": 300, "grace_seconds": 60}, format="json")
    assert response.status_code == 201, response.content
    entry = LogEntry.objects.get_for_object(Heartbeat.objects.get()).get()
    assert entry.actor is None and entry.actor_email.startswith("token:ci (ops_")
    assert entry.additional_data["api_token"] == "ci"
    assert entry.remote_addr == "10.9.0.2"


def test_the_audit_log_is_append_only_even_for_a_superuser(boss_client, portal_admin):
    api_token_create(name="x", scopes=["read"])
    entry = LogEntry.objects.latest("timestamp")
    base = "/admin/auditlog/logentry/"
    assert boss_client.get(base).status_code == 200
    assert boss_client.get(f"{base}{entry.pk}/change/").status_code == 200  # viewable
    assert boss_client.post(f"{base}{entry.pk}/change/", {"action": 2}).status_code == 403
    assert boss_client.post(f"{base}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert boss_client.get(f"{base}add/").status_code == 403
    assert b"delete_selected" not in boss_client.get(base).content
    assert LogEntry.objects.filter(pk=entry.pk).exists()
    admin_entry = AdminLogEntry.objects.log_actions(
        user_id=portal_admin.pk, queryset=[entry], action_flag=1, single_object=True)
    url = f"/admin/admin/logentry/{admin_entry.pk}/"
    assert boss_client.get(f"{url}change/").status_code == 200
    assert boss_client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    assert AdminLogEntry.objects.filter(pk=admin_entry.pk).exists()


def test_the_audit_log_is_filterable_by_action_actor_model_and_date(boss_client, portal_admin):
    api_token_create(name="y", scopes=["read"])
    base = "/admin/auditlog/logentry/"
    for query in ("?action__exact=0", f"?actor__id__exact={portal_admin.pk}",
                  "?timestamp__gte=2020-01-01", "?q=token", "?remote_addr=10.9.0.1"):
        response = boss_client.get(base + query)
        assert response.status_code == 200, query
    assert boss_client.get("/admin/admin/logentry/").status_code == 200


def test_a_viewer_cannot_read_the_audit_log(client, viewer):
    client.force_login(viewer)
    assert client.get("/admin/auditlog/logentry/").status_code == 403


def test_a_waived_checklist_item_and_a_launch_decision_are_audited(portal_admin, operator):
    from checklist.models import ChecklistItem, LaunchDecision
    from checklist.services.bootstrap import checklist_bootstrap
    from checklist.services.decisions import launch_decision_record
    from checklist.services.waivers import waiver_approve, waiver_request

    checklist_bootstrap()
    item = ChecklistItem.objects.filter(required=True).first()
    waiver = waiver_request(item=item, user=operator,
                            expires_at=timezone.now() + timedelta(days=3),
                            reason="Covered by the audit firm's review until the V1.1 release.")
    waiver_approve(waiver=waiver, user=portal_admin)
    change = LogEntry.objects.get_for_object(item).latest("timestamp")
    assert change.action == LogEntry.Action.UPDATE
    assert change.changes_dict["status"][1] == "waived"
    decision = launch_decision_record(decision="NO-GO", user=portal_admin, note="not yet")
    assert LogEntry.objects.get_for_object(decision).get().action == LogEntry.Action.CREATE
    assert LaunchDecision.objects.count() == 1
