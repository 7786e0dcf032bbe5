import datetime
import uuid

import pytest
from django.utils import timezone

from monitoring.models import Heartbeat, HeartbeatPing
from monitoring.selectors import heartbeat_status_at, metrics_current
from monitoring.services.health import health_evaluate
from monitoring.services.heartbeats import heartbeat_create, heartbeat_ping, heartbeats_refresh

pytestmark = pytest.mark.django_db

S = datetime.timedelta(seconds=1)


@pytest.fixture
def beat():
    return heartbeat_create(name="nightly backup", period_seconds=60, grace_seconds=30)


def test_it_creates_heartbeats_with_a_ping_url_through_the_api(write_client):
    response = write_client.post("/api/v1/heartbeats", {
        "name": "price scraper", "period_seconds": 300, "grace_seconds": 60}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "new" and body["last_ping_at"] is None
    assert body["ping_url"] == f"http://testserver/ping/{body['uuid']}"
    listed = write_client.get("/api/v1/heartbeats").json()
    assert [h["name"] for h in listed["results"]] == ["price scraper"]


@pytest.mark.parametrize("bad", [{"name": "x", "period_seconds": 0, "grace_seconds": 1},
                                 {"name": "x", "period_seconds": 10, "grace_seconds": -1},
                                 {"period_seconds": 10, "grace_seconds": 1}])
def test_it_rejects_bad_heartbeats_with_field_errors(write_client, bad):
    response = write_client.post("/api/v1/heartbeats", bad, format="json")
    assert response.status_code == 400
    assert Heartbeat.objects.count() == 0


def test_heartbeats_need_read_to_list_and_write_to_create(api, read_client):
    assert api.get("/api/v1/heartbeats").status_code == 401
    assert read_client.get("/api/v1/heartbeats").status_code == 200
    response = read_client.post("/api/v1/heartbeats", {
        "name": "x", "period_seconds": 1, "grace_seconds": 1}, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize("method", ["get", "post", "head"])
def test_the_ping_protocol_answers_ok_without_auth(client, beat, method):
    for suffix, kind in (("/start", "start"), ("", "success"), ("/fail", "fail")):
        response = getattr(client, method)(f"/ping/{beat.uuid}{suffix}",
                                           HTTP_USER_AGENT="curl/8")
        assert response.status_code == 200
        if method != "head":
            assert response.content == b"OK"
        assert HeartbeatPing.objects.filter(heartbeat=beat).first().kind == kind
    assert HeartbeatPing.objects.filter(heartbeat=beat).count() == 3
    assert HeartbeatPing.objects.first().user_agent == "curl/8"


def test_an_unknown_uuid_is_404(client):
    assert client.get(f"/ping/{uuid.uuid4()}").status_code == 404
    assert client.get("/ping/not-a-uuid").status_code == 404


def test_status_moves_new_up_late_down_with_time(beat):
    t0 = timezone.now()
    assert heartbeat_status_at(heartbeat=beat, now=t0) == "new"
    beat = heartbeat_ping(heartbeat_uuid=beat.uuid, now=t0)
    assert beat.status == "up"
    at = lambda seconds: heartbeat_status_at(heartbeat=beat, now=t0 + seconds * S)  # noqa: E731
    assert (at(60), at(61), at(90), at(91)) == ("up", "late", "late", "down")


def test_start_does_not_restart_the_period_and_fail_is_down(beat):
    t0 = timezone.now()
    heartbeat_ping(heartbeat_uuid=beat.uuid, now=t0)
    beat = heartbeat_ping(heartbeat_uuid=beat.uuid, kind="start", now=t0 + 80 * S)
    assert beat.status == "late" and beat.last_ping_at == t0
    beat = heartbeat_ping(heartbeat_uuid=beat.uuid, kind="fail", now=t0 + 85 * S)
    assert beat.status == "down"
    beat = heartbeat_ping(heartbeat_uuid=beat.uuid, now=t0 + 86 * S)
    assert beat.status == "up"
    assert list(beat.pings.values_list("status_after", flat=True)) == [
        "up", "down", "late", "up"]


def test_refresh_stores_transitions_and_reports_them(beat):
    t0 = timezone.now()
    heartbeat_ping(heartbeat_uuid=beat.uuid, now=t0)
    assert heartbeats_refresh(now=t0 + 30 * S) == []
    assert heartbeats_refresh(now=t0 + 70 * S) == ["heartbeat nightly backup: up -> late"]
    assert heartbeats_refresh(now=t0 + 95 * S) == ["heartbeat nightly backup: late -> down"]
    assert Heartbeat.objects.get().status == "down"


@pytest.mark.django_db(transaction=True)  # checks run in threads with their own connections
def test_a_late_heartbeat_turns_the_check_red_and_counts_in_metrics(beat):
    heartbeat_ping(heartbeat_uuid=beat.uuid, now=timezone.now() - 70 * S)
    _, body = health_evaluate()
    assert body["checks"]["heartbeats"]["ok"] is False
    assert body["checks"]["heartbeats"]["detail"] == "nightly backup is late"
    assert metrics_current()["heartbeats_late"] == 1
    heartbeat_ping(heartbeat_uuid=beat.uuid)
    assert metrics_current()["heartbeats_late"] == 0
