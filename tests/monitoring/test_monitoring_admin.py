import pytest
from django.http import HttpRequest
from django.utils import timezone

from monitoring.models import (
    ComponentState,
    Event,
    EventRollup,
    Heartbeat,
    MetricSnapshot,
    UptimeSample,
)
from monitoring.services.health import uptime_sample_record
from monitoring.services.heartbeats import heartbeat_create, heartbeat_ping
from monitoring.services.snapshots import metric_snapshot_take
from tests.monitoring.events import ev, ingest, trade

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, portal_admin):
    client.login(request=HttpRequest(), username="boss", password="pw-boss")
    return client


@pytest.fixture
def data():
    ingest([trade(id="trade-42"), ev("ws_status", connected=True)])
    beat = heartbeat_create(name="cron", period_seconds=60, grace_seconds=10)
    heartbeat_ping(heartbeat_uuid=beat.uuid)
    now = timezone.now()
    metric_snapshot_take(now=now)
    # Health checks run in threads that cannot see this test's open transaction: store directly.
    body = {"status": "degraded", "checks": {"scheduler": {"ok": False}}}
    ComponentState.objects.create(status="degraded", http_status=200, body=body, checked_at=now)
    uptime_sample_record(now=now, code=200, body=body)


def test_every_monitoring_changelist_renders(admin_client, data):
    for model in ("event", "eventrollup", "metricsnapshot", "uptimesample", "heartbeat",
                  "componentstate"):
        response = admin_client.get(f"/admin/monitoring/{model}/")
        assert response.status_code == 200, model


def test_events_filter_by_type_and_search_by_exact_id(admin_client, data):
    response = admin_client.get("/admin/monitoring/event/?type__exact=trade&q=trade-42")
    assert response.status_code == 200
    assert b"trade-42" in response.content
    assert b"1 result" in response.content or b"trade-42" in response.content
    assert Event.objects.count() == 2


def test_change_pages_render(admin_client, data):
    for obj in (Event.objects.get(id="trade-42"), EventRollup.objects.first(),
                MetricSnapshot.objects.first(), UptimeSample.objects.first(),
                Heartbeat.objects.get()):
        url = f"/admin/monitoring/{obj._meta.model_name}/{obj.pk}/change/"
        assert admin_client.get(url).status_code == 200, url
    page = admin_client.get(f"/admin/monitoring/heartbeat/{Heartbeat.objects.get().pk}/change/")
    assert b"/ping/" in page.content and b"success" in page.content


def test_heartbeats_can_be_added_in_the_admin(admin_client):
    response = admin_client.post("/admin/monitoring/heartbeat/add/", {
        "name": "backup", "period_seconds": 3600, "grace_seconds": 600})
    assert response.status_code == 302, response.content[:2000]
    assert Heartbeat.objects.get().status == "new"


def test_the_refresh_action_reports_changes(admin_client, data):
    Heartbeat.objects.update(last_ping_at=timezone.now() - timezone.timedelta(minutes=5))
    response = admin_client.post("/admin/monitoring/heartbeat/", {
        "action": "refresh_status", "_selected_action": [Heartbeat.objects.get().pk]},
        follow=True)
    assert b"1 heartbeat(s) changed status." in response.content
