"""`monitor_once`: the minute loop probes RPC endpoints and evaluates the alert rules."""

import pytest
from django.core.management import call_command

from alerting.services.alert_rules import alert_rules_bootstrap
from monitoring.selectors.metrics import metrics_current
from monitoring.services import rpc
from tests.monitoring.conftest import rpc_server
from tests.monitoring.events import ev, ingest

pytestmark = pytest.mark.django_db(transaction=True)


def test_monitor_once_probes_fails_over_and_pages_from_ingested_events(
        capsys, page_channel, webhook, settings):
    alert_rules_bootstrap()
    with rpc_server(healthy=False) as primary, rpc_server() as backup:
        rpc.rpc_endpoint_create(name="primary", url=primary.url, priority=0)
        rpc.rpc_endpoint_create(name="backup", url=backup.url, priority=1)
        ingest([ev("trade", success=True, via="bags", confirmation_ms=100,
                   take_profit_pct=None, stop_loss_pct=5)])
        call_command("monitor_once")
        first = capsys.readouterr().out
        assert "rpc: 1/2 endpoints healthy, active primary" in first
        assert "alert Trades without TP/SL: firing" in first
        call_command("monitor_once")
        second = capsys.readouterr().out
        # On the backup now, but the primary is still down: the alert stays firing.
        call_command("monitor_once")
        third = capsys.readouterr().out
        assert "RPC endpoint down: resolved" not in third
        assert metrics_current()["rpc_preferred_consecutive_failures"] >= 2
        # The primary recovers: the alert resolves, the portal fails back and says so.
        primary.state["ok"] = True
        settings.RPC_FAILBACK_AFTER_SECONDS = 0
        call_command("monitor_once")
        fourth = capsys.readouterr().out
        assert "alert RPC endpoint down: resolved" in fourth
        assert "rpc: failback to primary announced (1/1)" in fourth
    assert "alert RPC endpoint down: firing" in second
    assert ("alert RPC endpoint down: failover_rpc: active RPC switched from primary to "
            "backup") in second
    body = metrics_current()
    assert body["active_rpc"] == "primary"
    assert (body["rpc_active_consecutive_failures"], body["rpc_endpoints_healthy"]) == (0, 2)
    titles = [m["title"] for m in webhook.messages()]
    assert "RPC failback: the bot is back on primary" in titles
    assert "[FIRING:page] Trades without TP/SL" in titles
    assert "[FIRING:warning] RPC endpoint down" in titles


def test_a_late_heartbeat_notifies_and_its_next_ping_resolves_it(page_channel, webhook):
    from datetime import timedelta

    from django.utils import timezone

    from alerting.services import alerts
    from monitoring.services.heartbeats import heartbeat_create, heartbeat_ping

    alert_rules_bootstrap()
    now = timezone.now()
    hb = heartbeat_create(name="nightly job", period_seconds=60, grace_seconds=30)
    heartbeat_ping(heartbeat_uuid=hb.uuid, now=now)

    def tick(at):
        return alerts.alerts_tick(now=at, values=metrics_current(now=at))

    assert "Heartbeat late: firing" not in tick(now + timedelta(seconds=60))
    assert "Heartbeat late: firing" in tick(now + timedelta(seconds=120))
    heartbeat_ping(heartbeat_uuid=hb.uuid, now=now + timedelta(seconds=150))
    assert "Heartbeat late: resolved (1 channels told)" in tick(now + timedelta(seconds=160))
    titles = [m["title"] for m in webhook.messages() if "Heartbeat" in m["title"]]
    assert titles == ["[FIRING:warning] Heartbeat late", "[RESOLVED:warning] Heartbeat late"]
    assert "#heartbeat-late" in webhook.messages()[-1]["message"]
