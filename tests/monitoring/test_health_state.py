import datetime

import pytest
from django.core.management import call_command
from django.http import HttpRequest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from backups.services.runs import backup_run_now
from monitoring.models import ComponentState, MetricSnapshot, SchedulerHeartbeat, UptimeSample
from monitoring.services.bootstrap import monitoring_bootstrap
from monitoring.services.health import health_memory_clear, health_refresh
from monitoring.services.monitor import monitor_pass
from tests.monitoring.events import ev, ingest

# The stored state is read in a separate thread (its own connection): commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def make_healthy(backup_dir):
    """Everything /health looks at reports in: scheduler, bot websocket, a real backup."""

    def make():
        SchedulerHeartbeat.objects.create(name="worker", last_seen_at=timezone.now())
        ingest([ev("ws_status", connected=True)])
        assert backup_run_now(kind="database").status == "succeeded"

    return make


def test_health_serves_the_refreshed_state_not_a_live_run(client, make_healthy):
    code, body = health_refresh()
    assert body["status"] == "degraded"
    make_healthy()
    assert client.get("/health").json()["status"] == "degraded"  # from memory
    health_memory_clear()
    assert client.get("/health").json()["status"] == "degraded"  # from the stored row
    health_refresh()  # what the background task does every 15 s
    assert client.get("/health").json()["status"] == "healthy"


def test_health_costs_no_query_while_the_state_is_in_memory(client, django_assert_num_queries):
    health_refresh()
    with django_assert_num_queries(0):
        assert client.get("/health").status_code == 200


def test_a_stale_stored_state_is_replaced_by_a_live_run(client, settings, make_healthy):
    health_refresh()
    make_healthy()
    ComponentState.objects.update(checked_at=timezone.now() - datetime.timedelta(minutes=5))
    health_memory_clear()
    assert client.get("/health").json()["status"] == "healthy"
    assert ComponentState.objects.get().status == "healthy"


def test_fresh_runs_live_for_staff_only(client, portal_admin, make_healthy):
    health_refresh()
    make_healthy()
    assert client.get("/health?fresh=1").json()["status"] == "degraded"  # anonymous: ignored
    client.login(request=HttpRequest(), username="boss", password="pw-boss")
    assert client.get("/health?fresh=1").json()["status"] == "healthy"


@pytest.mark.parametrize(("events", "detail"), [
    ([], "no websocket report from the bot in the last 60 s"),
    ([{"connected": False, "ago": 5}], "the bot reported its websocket disconnected"),
    ([{"connected": True, "ago": 61}], "no websocket report from the bot in the last 60 s"),
    ([{"connected": True, "ago": 90}, {"connected": False, "ago": 30}],
     "the bot reported its websocket disconnected"),
])
def test_the_websocket_check_wants_a_connected_report_in_the_last_minute(events, detail):
    now = timezone.now()
    ingest([ev("ws_status", now - datetime.timedelta(seconds=e["ago"]), connected=e["connected"])
            for e in events])
    _, body = health_refresh()
    assert body["checks"]["websocket"] == {**body["checks"]["websocket"], "ok": False,
                                           "critical": False, "detail": detail}


def test_monitor_once_records_a_health_sample_and_a_snapshot(capsys, make_healthy):
    make_healthy()
    ingest([ev("trade", success=False, via="bags")])
    call_command("monitor_once")
    out = capsys.readouterr().out
    assert "health: healthy" in out
    assert "snapshot: 1 trades/h, error rate 1.0" in out
    sample = UptimeSample.objects.get()
    assert sample.up and sample.status == "healthy" and sample.failed_checks == []
    snap = MetricSnapshot.objects.get()
    assert snap.trades_per_hour == 1 and snap.error_rate == 1.0
    assert snap.data["trades_24h"] == 1


def test_a_second_pass_in_the_same_minute_overwrites_the_uptime_sample():
    now = timezone.now().replace(second=5)
    monitor_pass(now=now)
    lines = monitor_pass(now=now.replace(second=40))
    assert lines[0] == "health: degraded (failing: backups, scheduler, websocket)"
    assert UptimeSample.objects.count() == 1 and MetricSnapshot.objects.count() == 2
    assert UptimeSample.objects.get().up is True


def test_bootstrap_schedules_the_minute_loop_and_the_health_refresh():
    monitoring_bootstrap()
    tasks = {t.name: t for t in PeriodicTask.objects.all()}
    assert tasks["monitor pass"].task == "monitoring.tasks.monitor_pass"
    assert tasks["monitor pass"].interval.every == 60
    assert tasks["refresh component health"].interval.every == 15
    assert tasks["prune old events"].task == "monitoring.tasks.events_prune"
