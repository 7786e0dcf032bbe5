"""monitoring.selectors.features: the checklist's feature numbers with their samples."""

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring.models import EventRollup
from monitoring.selectors.features import feature_evidence, websocket_connected_share
from monitoring.selectors.metrics import metrics_current
from monitoring.tally import Tally
from tests.monitoring.events import ev, ingest, trade

pytestmark = pytest.mark.django_db


def command(ts, name, ok=True, duration_ms=300):
    return ev("command", ts, name=name, ok=ok, duration_ms=duration_ms)


def test_feature_evidence_counts_each_number_with_its_sample():
    now = timezone.now()
    hours = [now - timedelta(hours=h, minutes=7) for h in range(1, 6)]
    ingest([trade(hours[0], demo=True), trade(hours[1], demo=True, success=False, error="x"),
            trade(hours[2], via="jupiter", stop_loss_pct=None, confirmation_ms=250),
            trade(hours[3], via="bags", success=False, error="route"),
            command(hours[0], "/demo"), command(hours[1], "/demo", ok=False),
            command(hours[2], "/vibe", duration_ms=1500), command(hours[3], "/vibe", ok=False),
            command(hours[4], "/start")])
    got = feature_evidence(now=timezone.now())
    assert got["demo"] == {"trades": 2, "trades_ok": 1, "commands": 2, "commands_ok": 1}
    assert got["bags"] == {"trades": 3, "trades_ok": 1}
    assert got["tpsl"] == {"trades": 4, "without_tpsl": 1}
    assert (got["vibe"]["commands"], got["vibe"]["ok"], got["vibe"]["p95_samples"]) == (2, 1, 2)
    assert got["confirmation"]["samples"] == 2
    assert got["websocket"]["connected_ratio"] is None


def test_it_agrees_with_metrics():
    now = timezone.now()
    ingest([trade(now - timedelta(hours=h), confirmation_ms=100 * h) for h in range(1, 12)]
           + [command(now - timedelta(hours=h), "/vibe", duration_ms=50 * h)
              for h in range(1, 12)])
    at = timezone.now()
    got, metrics = feature_evidence(now=at), metrics_current(now=at)
    assert got["vibe"]["p95_ms"] == metrics["vibe_p95_ms_24h"]
    assert got["tpsl"]["trades"] == metrics["trades_24h"]


def test_rollups_stored_before_the_new_counts_still_load_and_add_to_neither_side():
    """An old rollup lacks bags_ok, bags_failed, demo_commands*, vibe_commands, vibe_ok:
    it loads them as 0, so its commands and trades enter neither an ok count nor its
    denominator."""
    now = timezone.now()
    old = now - timedelta(hours=6)
    ingest([command(old + timedelta(seconds=s), "/vibe", ok=False) for s in range(3)]
           + [trade(old, via="bags"), trade(old, via="bags", success=False, error="x")])
    for row in EventRollup.objects.all():
        for key in ("bags_ok", "bags_failed", "demo_commands", "demo_commands_ok",
                    "vibe_commands", "vibe_ok"):
            row.data.pop(key)
        row.save(update_fields=["data"])
    ingest([command(now - timedelta(hours=1, seconds=s), "/vibe") for s in range(2)]
           + [trade(now - timedelta(hours=1), via="bags")])
    got = feature_evidence(now=timezone.now())
    vibe = got["vibe"]
    assert (vibe["commands"], vibe["ok"], vibe["p95_samples"]) == (2, 2, 5)
    assert got["bags"] == {"trades": 1, "trades_ok": 1}
    assert Tally.from_json({}).vibe_ok == 0


def test_websocket_share_is_time_weighted_with_the_carried_in_state():
    now = timezone.now()
    start = now - timedelta(hours=1)
    ingest([ev("ws_status", start - timedelta(minutes=5), connected=False),
            ev("ws_status", start + timedelta(minutes=15), connected=True),
            ev("ws_status", start + timedelta(minutes=45), connected=False)])
    share = websocket_connected_share(start=start, now=now)
    assert share["events"] == 2 and share["carried_in_from"] is not None
    assert share["known_seconds"] == pytest.approx(3600)
    assert share["connected_seconds"] == pytest.approx(1800)
    assert share["connected_ratio"] == pytest.approx(0.5)


def test_websocket_reports_at_the_same_instant_take_the_later_received():
    now = timezone.now()
    start = now - timedelta(hours=1)
    at = start + timedelta(minutes=30)
    ingest([ev("ws_status", at, connected=True)])
    ingest([ev("ws_status", at, connected=False)])
    assert websocket_connected_share(start=start, now=now)["connected_seconds"] == 0
