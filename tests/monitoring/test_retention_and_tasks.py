import datetime

import pytest
from django.utils import timezone

from monitoring import tasks
from monitoring.models import Event, EventRollup, HeartbeatPing, MetricSnapshot, UptimeSample
from monitoring.services.events import events_prune
from monitoring.services.heartbeats import heartbeat_create, heartbeat_ping
from opsportal import tasks as opsportal_tasks
from tests.monitoring.events import ev, ingest

D = datetime.timedelta(days=1)


@pytest.mark.django_db
def test_prune_drops_what_is_past_retention_and_keeps_the_rest(settings):
    now = timezone.now()
    # Taken in under the default 30 days; the window then shrinks to 7.
    ingest([ev("ws_status", now - 8 * D, connected=True, id="old"),
            ev("ws_status", now - 6 * D, connected=True, id="kept")])
    settings.EVENT_RETENTION_DAYS = 7
    MetricSnapshot.objects.create(taken_at=now - 8 * D, data={})
    MetricSnapshot.objects.create(taken_at=now - D, data={})
    for days in (32, 20):
        UptimeSample.objects.create(minute=now - days * D, status="healthy", up=True)
    beat = heartbeat_create(name="b", period_seconds=60, grace_seconds=1)
    heartbeat_ping(heartbeat_uuid=beat.uuid, now=now - 9 * D)
    heartbeat_ping(heartbeat_uuid=beat.uuid, now=now)
    deleted = events_prune(now=now)
    # rollups: only the two 10 s buckets (over 2 days); the others back the 30-day
    # success windows and stay 31 days whatever the event retention.
    assert deleted == {"events": 1, "rollups": 2, "snapshots": 1, "pings": 1,
                       "uptime_samples": 1, "bot_minutes": 0}
    assert list(Event.objects.values_list("id", flat=True)) == ["kept"]
    assert EventRollup.objects.filter(seconds=3600).count() == 2
    assert UptimeSample.objects.count() == 1 and HeartbeatPing.objects.count() == 1


@pytest.mark.django_db
def test_ten_second_rollups_go_after_two_days_even_with_long_retention(settings):
    settings.EVENT_RETENTION_DAYS = 30
    ingest([ev("ws_status", timezone.now() - 3 * D, connected=True)])
    events_prune()
    assert sorted(EventRollup.objects.values_list("seconds", flat=True)) == [60, 600, 3600]


@pytest.mark.django_db(transaction=True)
def test_the_periodic_tasks_return_a_short_summary():
    assert tasks.events_prune() == (
        "pruned 0 events, 0 rollups, 0 snapshots, 0 pings, 0 uptime_samples, 0 bot_minutes")
    assert tasks.health_refresh().startswith("health ")
    summary = opsportal_tasks.monitor_pass()
    assert summary.startswith("health: ") and "snapshot: 0 trades/h" in summary
    assert tasks.scheduler_heartbeat().startswith("scheduler heartbeat at ")
