"""The bot's uptime: minutes judged from its own events and heartbeat pings (issue 17.5)."""

import datetime

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from monitoring.models import BotMinute, UptimeSample
from monitoring.selectors import metrics_current
from monitoring.services.bot_uptime import bot_minutes_record
from monitoring.services.heartbeats import heartbeat_create, heartbeat_ping
from opsportal import tasks as opsportal_tasks
from tests.monitoring.events import ev, ingest, trade

pytestmark = pytest.mark.django_db

S = datetime.timedelta(seconds=1)
M = datetime.timedelta(minutes=1)
H = datetime.timedelta(hours=1)


@pytest.fixture
def base():
    """A whole minute two hours ago: the tests' minutes are base, base + 1 min, ..."""
    return timezone.now().replace(second=0, microsecond=0) - 2 * H


def states(first, count):
    rows = dict(BotMinute.objects.values_list("minute", "state"))
    return [rows.get(first + i * M) for i in range(count)]


def test_no_signal_ever_is_no_data_not_an_uptime(base):
    assert bot_minutes_record(now=base + H) == []
    body = metrics_current(now=base + H)
    assert body["uptime_24h"] is None and body["uptime_30d"] is None
    assert not BotMinute.objects.exists()


def test_a_minute_without_a_signal_is_down_and_data_starts_at_the_first_signal(base):
    # Events in minutes 0, 1 and 4; silence in 2 and 3 (and before 0: not counted).
    ingest([trade(base + 5 * S), ev("command", base + M + 20 * S, name="/demo", ok=True,
                                    duration_ms=5), trade(base + 4 * M + 50 * S)])
    lines = bot_minutes_record(now=base + 6 * M + 30 * S)  # minute 4 has settled (60 s)
    assert lines == ["bot: 5 minutes judged (2 down), " f"{base + 4 * M:%H:%M} up"]
    assert states(base - M, 7) == [None, "up", "up", "down", "down", "up", None]
    row = BotMinute.objects.get(minute=base + 2 * M)
    assert row.reason.startswith("no signal from the bot") and row.events == 0
    body = metrics_current(now=base + 5 * M)
    assert body["uptime_24h"] == 0.6 and body["uptime_30d"] == 0.6
    assert body["uptime_data_since"] == base.isoformat()
    assert body["bot_degraded_24h"] == 0.0


def test_synthetic_events_are_not_a_sign_of_life(base):
    ingest([trade(base + 5 * S), ev("command", base + M + 5 * S, name="/demo", ok=True,
                                    duration_ms=5, synthetic=True)])
    bot_minutes_record(now=base + 3 * M)
    assert states(base, 2) == ["up", "down"]


def test_the_bots_heartbeat_pings_are_signals_and_a_fail_ping_is_down(base, settings):
    settings.BOT_HEARTBEATS = ["bot"]
    bot = heartbeat_create(name="bot", period_seconds=60, grace_seconds=30)
    other = heartbeat_create(name="nightly-report", period_seconds=86400, grace_seconds=60)
    heartbeat_ping(heartbeat_uuid=bot.uuid, now=base + 10 * S)
    heartbeat_ping(heartbeat_uuid=other.uuid, now=base + M + 10 * S)  # not the bot's
    heartbeat_ping(heartbeat_uuid=bot.uuid, now=base + 2 * M + 10 * S)
    heartbeat_ping(heartbeat_uuid=bot.uuid, kind="fail", now=base + 2 * M + 40 * S)
    heartbeat_ping(heartbeat_uuid=bot.uuid, now=base + 3 * M + 10 * S)
    bot_minutes_record(now=base + 10 * M)
    assert states(base, 4) == ["up", "down", "down", "up"]
    failed = BotMinute.objects.get(minute=base + 2 * M)
    assert failed.reason == "heartbeat bot reported fail" and failed.pings == 2


def test_a_signal_in_the_grace_seconds_before_a_minute_keeps_it_up(base, settings):
    settings.BOT_SIGNAL_GRACE_SECONDS = 30
    # Signals at 0:50, 2:00, 3:45 and 5:20: minutes 1 and 4 hold none themselves.
    ingest([trade(base + 50 * S), trade(base + 2 * M), trade(base + 3 * M + 45 * S),
            trade(base + 5 * M + 20 * S)])
    bot_minutes_record(now=base + 10 * M)
    # minute 1: nothing inside, but 0:50 is in its grace; minute 4: 3:45 is 15 s before.
    assert states(base, 6) == ["up", "up", "up", "up", "up", "up"]
    settings.BOT_SIGNAL_GRACE_SECONDS = 5
    BotMinute.objects.all().delete()
    bot_minutes_record(now=base + 10 * M)
    assert states(base, 6) == ["up", "down", "up", "up", "down", "up"]


def test_a_disconnected_websocket_is_degraded_not_up(base):
    ingest([ev("ws_status", base + 5 * S, connected=True), trade(base + M + 5 * S),
            ev("ws_status", base + 2 * M + 30 * S, connected=False), trade(base + 3 * M),
            ev("ws_status", base + 4 * M + 10 * S, connected=True), trade(base + 5 * M)])
    bot_minutes_record(now=base + 8 * M)
    # The disconnection lasts from 2:30 to 4:10: minutes 2, 3 and 4 are degraded.
    assert states(base, 6) == ["up", "up", "degraded", "degraded", "degraded", "up"]
    body = metrics_current(now=base + 6 * M)
    assert body["uptime_24h"] == 0.5 and body["bot_degraded_24h"] == 0.5
    assert BotMinute.objects.get(minute=base + 3 * M).ws_connected is False


def test_a_minute_is_judged_after_it_settles_and_again_when_late_events_arrive(base):
    ingest([trade(base + 5 * S)])
    # 30 s after minute 1 ended: minute 0 is settled (60 s), minute 1 is not yet.
    bot_minutes_record(now=base + 2 * M + 30 * S)
    assert states(base, 2) == ["up", None]
    bot_minutes_record(now=base + 3 * M)
    assert states(base, 2) == ["up", "down"]
    # The bot's client delivers minute 1's events late (it queued them on disk).
    ingest([trade(base + M + 20 * S)])
    bot_minutes_record(now=base + 4 * M)
    assert states(base, 3) == ["up", "up", "down"]


def test_a_portal_stopped_for_days_catches_up_oldest_first_one_day_per_pass(base):
    start = base - 3 * 24 * H
    ingest([trade(start + 5 * S)])
    bot_minutes_record(now=base)
    assert BotMinute.objects.count() == 1440
    assert BotMinute.objects.order_by("minute").first().minute == start
    bot_minutes_record(now=base)
    assert BotMinute.objects.count() == 2880
    body = metrics_current(now=base)
    # Every minute since the first signal counts: one up minute in the last 30 days.
    assert body["uptime_30d"] == round(1 / 2880, 6)


def test_the_minute_loop_judges_the_bot_and_metrics_show_both_uptimes(base, settings):
    settings.BOT_HEARTBEATS = ["bot"]
    bot = heartbeat_create(name="bot", period_seconds=60, grace_seconds=30)
    now = timezone.now()
    for i in range(1, 6):
        heartbeat_ping(heartbeat_uuid=bot.uuid, now=now - i * M)
    summary = opsportal_tasks.monitor_pass()
    assert "bot: " in summary and "minutes judged" in summary
    assert BotMinute.objects.filter(state="up").exists()
    assert UptimeSample.objects.exists()  # the portal's own sample, apart
    body = metrics_current()
    assert body["uptime_24h"] == 1.0 and body["uptime_data_since"] is not None
    assert "portal_uptime_24h" in body


def test_prometheus_exposes_the_bots_and_the_portals_uptime(base, read_client):
    ingest([trade(base + 5 * S), trade(base + M + 5 * S)])
    bot_minutes_record(now=base + 4 * M)
    UptimeSample.objects.create(minute=base, status="healthy", up=True)
    response = read_client.get("/metrics?format=prometheus")
    assert response.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    assert families["opsportal_uptime_24h"].samples[0].value == pytest.approx(2 / 3, abs=1e-5)
    assert "bot was up" in families["opsportal_uptime_24h"].documentation
    assert "opsportal_portal_uptime_24h" in families
    assert families["opsportal_bot_degraded_24h"].samples[0].value == 0.0


def test_the_dashboard_shows_the_bots_days_apart_from_the_portals(client, viewer, base):
    if base.hour == 23 and base.minute == 59:
        base -= M  # both minutes on one day of the bar
    ingest([trade(base + 5 * S)])
    bot_minutes_record(now=base + 3 * M)  # minute 0 up, minute 1 down
    client.force_login(viewer)
    page = client.get("/dashboard/").content.decode()
    assert 'id="bot-uptime-bar"' in page and 'id="uptime-bar"' in page
    assert "50 % up, 0 % degraded, of 2 minutes" in page
    assert "Bot uptime 24 h" in page and "Portal uptime 24 h" in page


def test_the_admin_lists_the_bots_minutes_with_their_reasons(client, viewer, base):
    ingest([trade(base + 5 * S)])
    bot_minutes_record(now=base + 3 * M)
    client.force_login(viewer)
    page = client.get("/admin/monitoring/botminute/?state__exact=down").content.decode()
    assert "no signal from the bot" in page and "1 bot minute" in page
