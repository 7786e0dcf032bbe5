"""The plan's rules firing, resolving, paging once, silences, dependencies, escalation."""

from datetime import timedelta

import pytest

from alerting.models import Alert, AlertEvent, AlertRule, Notification
from alerting.services import alerts, notify
from alerting.services.alert_rules import silence_create
from backups.models import BackupRun
from incidents.models import Incident
from incidents.services import incident_open
from monitoring.services import rpc
from tests.monitoring.conftest import T0, rpc_server
from tests.servers import RecordingServer

pytestmark = pytest.mark.django_db

BAD = {"error_rate": 0.2}
BUSY = {"error_rate": 50, "trade_success_rate": 50}
OK = {"error_rate": 0.01}


def tick(minutes, values, samples=BUSY):
    return alerts.alert_rules_evaluate(now=T0 + timedelta(minutes=minutes), values=values,
                                       samples=samples)


def kinds(rule_name):
    return list(AlertEvent.objects.filter(alert__rule__name=rule_name)
                .values_list("kind", flat=True))


def test_error_rate_pages_once_after_five_minutes_and_sends_the_resolve(
        plan_rules, page_channel, webhook):
    assert tick(0, BAD) == ["Error rate high: pending"]
    assert tick(4, BAD) == []
    assert webhook.requests == []
    lines = tick(5, BAD)
    assert "Error rate high: firing" in lines
    assert len(webhook.requests) == 1
    fired = webhook.messages()[0]
    assert fired["title"] == "[FIRING:page] Error rate high"
    assert "error_rate > 0.05 (value 0.2)" in fired["message"]
    assert "http://127.0.0.1:8000/docs/runbook/#error-rate-high" in fired["message"]
    for minute in range(6, 30):  # still firing: no repeat page
        tick(minute, BAD)
    assert len(webhook.requests) == 1
    assert "Error rate high: resolved (1 channels told)" in tick(30, OK)
    assert len(webhook.requests) == 2
    resolved = webhook.messages()[1]
    assert resolved["title"] == "[RESOLVED:page] Error rate high"
    assert "#error-rate-high" in resolved["message"]
    alert = Alert.objects.get(rule__name="Error rate high")
    assert (alert.state, alert.started_at, alert.fired_at, alert.resolved_at) == (
        "resolved", T0, T0 + timedelta(minutes=5), T0 + timedelta(minutes=30))
    assert kinds("Error rate high") == ["pending", "fired", "notified", "resolved", "notified"]
    assert tick(31, BAD) == ["Error rate high: pending"]  # a new episode


def test_a_quiet_hour_never_pages(plan_rules, page_channel, webhook):
    for minute in range(0, 20, 5):
        assert tick(minute, {"error_rate": 1.0}, samples={"error_rate": 3}) == []
    assert not Alert.objects.exists()


def test_a_condition_that_clears_before_for_seconds_never_fires(plan_rules, page_channel,
                                                                 webhook):
    tick(0, BAD)
    assert tick(2, OK) == ["Error rate high: cleared before firing"]
    assert webhook.requests == []
    assert Alert.objects.get().state == "resolved"
    assert Alert.objects.get().fired_at is None


def test_rpc_endpoint_down_fails_over_to_the_healthy_backup_and_notifies(
        plan_rules, page_channel, webhook, settings, read_client):
    settings.RPC_FAILBACK_AFTER_SECONDS = 600
    with rpc_server() as primary, rpc_server() as backup:
        rpc.rpc_endpoint_create(name="primary", url=primary.url, priority=0)
        rpc.rpc_endpoint_create(name="backup", url=backup.url, priority=1)
        incident = incident_open(title="Trades failing", severity="sev2", at=T0)
        primary.state["ok"] = False
        for minute in (0, 1):
            now = T0 + timedelta(minutes=minute)
            probes = rpc.rpc_endpoints_probe(now=now)
            lines = alerts.alerts_tick(now=now)
        assert primary.requests[0]["body"] == {"jsonrpc": "2.0", "id": 1,
                                               "method": "getHealth"}
        assert [p.ok for p in probes] == [False, True]
        assert "RPC endpoint down: firing" in lines
        assert ("RPC endpoint down: failover_rpc: active RPC switched from primary to backup"
                in lines)
        assert read_client.get("/api/v1/rpc/active").json()["name"] == "backup"
        (msg,) = [m for m in webhook.messages() if "RPC" in m["title"]]
        assert msg["title"] == "[FIRING:warning] RPC endpoint down"
        assert "switched from primary to backup" in msg["message"]
        assert "#rpc-endpoint-down" in msg["message"]
        assert "action" in kinds("RPC endpoint down")
        assert incident.timeline.get(kind="action").text == (
            "Alert 'RPC endpoint down': active RPC switched from primary to backup")

        # On the healthy backup, but the primary that went down is still down: the
        # episode stays open (it does not resolve because the backup answers).
        now = T0 + timedelta(minutes=2)
        rpc.rpc_endpoints_probe(now=now)
        assert not [line for line in alerts.alerts_tick(now=now) if "resolved" in line]
        # The primary recovers: the episode resolves; the primary gets the traffic back
        # only after 10 healthy minutes.
        primary.state["ok"] = True
        now = T0 + timedelta(minutes=3)
        rpc.rpc_endpoints_probe(now=now)
        assert "RPC endpoint down: resolved (1 channels told)" in alerts.alerts_tick(now=now)
        for minute in range(4, 13):
            rpc.rpc_endpoints_probe(now=T0 + timedelta(minutes=minute))
            assert rpc.rpc_active().name == "backup", minute
        rpc.rpc_endpoints_probe(now=T0 + timedelta(minutes=13))
        assert rpc.rpc_active().name == "primary"
        body = read_client.get("/api/v1/rpc/active").json()
        assert body == {"name": "primary", "url": primary.url,
                        "since": (T0 + timedelta(minutes=13)).isoformat()}


def test_websocket_disconnected_for_a_minute_asks_the_bot_to_reconnect(
        plan_rules, page_channel, webhook, settings):
    with RecordingServer() as bot:
        settings.BOT_CONTROL_URL = bot.url + "/control"
        tick(0, {"websocket_connected": False})
        assert bot.requests == []
        lines = tick(1, {"websocket_connected": False})
        assert "WebSocket disconnected: firing" in lines
        assert [(r["method"], r["path"], r["body"]) for r in bot.requests] == [
            ("POST", "/control", {"action": "reconnect_websocket"})]
        assert "WebSocket disconnected: reconnect_websocket: bot control answered HTTP 200" \
            in lines
        assert "reconnect_websocket: bot control answered HTTP 200" in \
            webhook.messages()[0]["message"]
        tick(2, {"websocket_connected": False})
        assert len(bot.requests) == 1  # once per episode
        assert "WebSocket disconnected: resolved (1 channels told)" in tick(
            3, {"websocket_connected": True})


def test_an_unreachable_bot_control_is_recorded_as_a_failed_action(plan_rules, settings):
    settings.BOT_CONTROL_URL = "http://127.0.0.1:9/control"
    tick(0, {"websocket_connected": False})
    tick(1, {"websocket_connected": False})
    event = AlertEvent.objects.get(kind="action_failed")
    assert event.text.startswith("reconnect_websocket: bot control unreachable")


def test_trade_success_rate_low_for_ten_minutes_opens_an_incident_and_notifies(
        plan_rules, page_channel, webhook, read_client):
    low = {"trade_success_rate": 0.8}
    tick(0, low)
    assert tick(9, low) == []
    lines = tick(10, low)
    assert "Trade success rate low: firing" in lines
    alert = Alert.objects.get()
    incident = alert.incident
    assert f"Trade success rate low: open_incident: opened incident #{incident.pk} " \
        "(investigating)" in lines
    assert (incident.status, incident.severity, incident.source) == (
        "investigating", "sev3", "alert rule: Trade success rate low")
    assert incident.affected_components == ["trading"]
    assert incident.detected_at == T0 + timedelta(minutes=10)
    msg = webhook.messages()[0]
    assert msg["title"] == "[FIRING:warning] Trade success rate low"
    assert f"opened incident #{incident.pk}" in msg["message"]
    assert "#trade-success-rate-low" in msg["message"]
    assert read_client.get(f"/api/v1/incidents/{incident.pk}").json()["status"] == \
        "investigating"
    tick(11, low)
    assert Incident.objects.count() == 1  # one incident per episode
    tick(12, {"trade_success_rate": 0.99})
    texts = list(incident.timeline.values_list("text", flat=True))
    assert "Alert 'Trade success rate low' fired: trade_success_rate < 0.95 (value 0.8)" \
        in texts
    assert texts[-1] == "Alert 'Trade success rate low' resolved: condition cleared"


def test_remediations_are_recorded_on_open_incidents_timelines(plan_rules, settings):
    incident = incident_open(title="Trading degraded", severity="sev2", at=T0)
    with RecordingServer() as bot:
        settings.BOT_CONTROL_URL = bot.url
        tick(0, {"websocket_connected": False})
        tick(1, {"websocket_connected": False})
    entry = incident.timeline.get(kind="action")
    assert entry.text == ("Alert 'WebSocket disconnected': asked the bot to reconnect its "
                          "WebSocket (bot control answered HTTP 200)")
    assert entry.author_label == "opsportal alerting"


def test_a_silenced_alert_is_recorded_but_not_sent_nor_its_resolve(
        plan_rules, page_channel, webhook):
    silence_create(labels={"component": "trading"}, starts_at=T0, ends_at=T0 + timedelta(
        hours=1), reason="exchange maintenance")
    assert "Trades without TP/SL: silenced" in tick(0, {"trades_without_tpsl_24h": 2})
    tick(1, {"trades_without_tpsl_24h": 2})
    assert Alert.objects.get().state == "firing"
    assert Alert.objects.get().silenced is True
    assert "Trades without TP/SL: resolved (0 channels told)" in tick(
        2, {"trades_without_tpsl_24h": 0})
    assert webhook.requests == []
    assert kinds("Trades without TP/SL") == ["pending", "fired", "silenced", "resolved"]


def test_a_resolve_is_not_lost_when_a_silence_starts_after_the_page(
        plan_rules, page_channel, webhook):
    rule = AlertRule.objects.get(name="Trades without TP/SL")
    tick(0, {"trades_without_tpsl_24h": 1})
    assert len(webhook.requests) == 1
    silence_create(rule=rule, starts_at=T0 + timedelta(minutes=1),
                   ends_at=T0 + timedelta(hours=1), reason="fixing it")
    tick(2, {"trades_without_tpsl_24h": 0})
    assert [m["title"] for m in webhook.messages()] == [
        "[FIRING:page] Trades without TP/SL", "[RESOLVED:page] Trades without TP/SL"]


def test_a_silence_that_ends_while_still_firing_sends_the_page_then(
        plan_rules, page_channel, webhook):
    rule = AlertRule.objects.get(name="Trades without TP/SL")
    silence_create(rule=rule, starts_at=T0, ends_at=T0 + timedelta(minutes=5), reason="m")
    tick(0, {"trades_without_tpsl_24h": 1})
    assert webhook.requests == []
    tick(5, {"trades_without_tpsl_24h": 1})
    assert [m["title"] for m in webhook.messages()] == ["[FIRING:page] Trades without TP/SL"]


def test_trade_failures_are_held_back_while_the_active_rpc_endpoint_is_down(
        plan_rules, page_channel, webhook):
    down = {"rpc_active_consecutive_failures": 2, "rpc_preferred_consecutive_failures": 2,
            "error_rate": 0.5, "trade_success_rate": 0.5}
    for minute in range(0, 11):
        tick(minute, down)
    titles = [m["title"] for m in webhook.messages()]
    assert titles == ["[FIRING:warning] RPC endpoint down"]
    for name in ("Error rate high", "Trade success rate low"):
        alert = Alert.objects.get(rule__name=name)
        assert (alert.state, alert.suppressed, alert.notified_at) == ("firing", True, None)
        event = AlertEvent.objects.get(alert=alert, kind="suppressed")
        assert event.text == "held back: parent rule 'RPC endpoint down' is firing"
    # No open_incident ran for a consequence.
    assert not AlertEvent.objects.filter(alert__rule__name="Trade success rate low",
                                         kind__in=["action", "action_failed"]).exists()


def test_an_unacknowledged_page_escalates_to_the_next_channel(plan_rules, webhook):
    with RecordingServer() as boss:
        notify.notification_channel_create(name="on-call", url=webhook.apprise_url,
                                           min_severity="page")
        notify.notification_channel_create(
            name="boss", url=boss.url.replace("http://", "json://") + "/b",
            min_severity="page", escalation_level=1)
        tpsl = {"trades_without_tpsl_24h": 1}
        tick(0, tpsl)
        assert len(webhook.requests) == 1 and boss.requests == []
        tick(14, tpsl)
        assert boss.requests == []
        assert "Trades without TP/SL: escalated to level 1" in tick(15, tpsl)
        assert boss.requests[0]["body"]["title"] == "[ESCALATION:page] Trades without TP/SL"
        tick(30, tpsl)
        assert len(boss.requests) == 1  # no level 2 channel: nothing more
        tick(31, {"trades_without_tpsl_24h": 0})
        # Both channels heard it fire, both hear it resolve.
        assert webhook.messages()[-1]["title"] == "[RESOLVED:page] Trades without TP/SL"
        assert boss.requests[-1]["body"]["title"] == "[RESOLVED:page] Trades without TP/SL"


def test_an_acknowledged_page_does_not_escalate_nor_renotify(plan_rules, webhook,
                                                            write_client):
    with RecordingServer() as boss:
        notify.notification_channel_create(name="on-call", url=webhook.apprise_url,
                                           min_severity="page")
        notify.notification_channel_create(
            name="boss", url=boss.url.replace("http://", "json://") + "/b",
            min_severity="page", escalation_level=1)
        AlertRule.objects.filter(name="Trades without TP/SL").update(renotify_seconds=300)
        tpsl = {"trades_without_tpsl_24h": 1}
        tick(0, tpsl)
        assert "Trades without TP/SL: re-notified" in tick(5, tpsl)
        assert len(webhook.requests) == 2
        alert = Alert.objects.get()
        response = write_client.post(f"/api/v1/alerts/{alert.pk}/ack")
        assert response.status_code == 200, response.json()
        assert response.json()["acknowledged_by"] == "token:test"
        for minute in (10, 15, 20, 60):
            tick(minute, tpsl)
        assert len(webhook.requests) == 2 and boss.requests == []
        again = write_client.post(f"/api/v1/alerts/{alert.pk}/ack")
        assert again.status_code == 400
        assert again.json() == {"detail": ["this alert is already acknowledged"]}


def test_a_failing_channel_neither_stops_evaluation_nor_loses_the_message(
        plan_rules, page_channel, webhook):
    with RecordingServer(respond=lambda m, p, b: (500, {"error": "down"})) as broken:
        notify.notification_channel_create(
            name="broken", url=broken.url.replace("http://", "json://") + "/x",
            min_severity="info")
        lines = tick(0, {"trades_without_tpsl_24h": 1, "websocket_connected": False})
        assert "Trades without TP/SL: firing" in lines
        assert "notifications: 1/2 delivered" in lines
        assert "WebSocket disconnected: pending" in lines  # the next rule still ran
        failed = Notification.objects.get(channel__name="broken")
        assert (failed.delivered_at, failed.attempts) == (None, 1)
        assert AlertEvent.objects.filter(kind="notify_failed").count() == 1
        broken.respond = lambda m, p, b: (200, {"ok": True})
        assert "notifications: 1 retried and delivered" in tick(1, {
            "trades_without_tpsl_24h": 1})
        failed.refresh_from_db()
        assert failed.delivered_at == T0 + timedelta(minutes=1) and failed.attempts == 2
        assert len(webhook.requests) == 1


def test_bootstrap_creates_the_plans_rules_once_and_keeps_operator_edits(plan_rules):
    from alerting.services.alert_rules import alert_rules_bootstrap

    rules = {r.name: r for r in AlertRule.objects.all()}
    assert set(rules) == {"Error rate high", "RPC endpoint down", "WebSocket disconnected",
                          "Trade success rate low", "Trades without TP/SL",
                          "Database backup stale", "Heartbeat late", "Performance regression",
                          "Funds at risk: position without TP/SL", "Bot control failed",
                          "Daily loss over limit", "Stop-loss streak", "Drawdown over limit",
                          # one per backup kind (tests/alerting/test_backup_alerts.py)
                          "Database backup failed", "Wallet keys backup failed",
                          "Configuration backup failed", "Logs backup failed",
                          # issue 18: dependencies, certificates, API keys
                          "Dependency down", "TLS certificate expiring", "API key invalid"}
    e = rules["Error rate high"]
    assert (e.metric_key, e.operator, e.threshold, e.for_seconds, e.severity, e.actions) == (
        "error_rate", ">", 0.05, 300, "page", ["page"])
    assert e.depends_on.name == "RPC endpoint down"
    assert rules["RPC endpoint down"].actions == ["failover_rpc", "notify"]
    assert rules["WebSocket disconnected"].for_seconds == 60
    assert rules["Trade success rate low"].actions == ["open_incident", "notify"]
    assert rules["Trades without TP/SL"].severity == "page"
    AlertRule.objects.filter(pk=e.pk).update(threshold=0.1)
    assert alert_rules_bootstrap() == ["alert rules: 20 (0 new)"]
    assert AlertRule.objects.count() == 20
    assert AlertRule.objects.get(pk=e.pk).threshold == 0.1


def test_every_plan_rule_links_to_a_section_of_the_runbook(plan_rules):
    import re
    from pathlib import Path

    from django.utils.text import slugify

    text = (Path(__file__).resolve().parents[2] / "docs" / "runbook.md").read_text()
    anchors = {slugify(h.replace("/", "")) for h in re.findall(r"^## (.+)$", text, re.M)}
    for rule in AlertRule.objects.all():
        path, _, anchor = rule.runbook_url.partition("#")
        assert path == "/docs/runbook/" and anchor in anchors, rule.name


def test_a_stale_database_backup_notifies_and_resolves_after_a_good_backup(
        plan_rules, page_channel, webhook):
    assert "Database backup stale: firing" in alerts.alerts_tick(now=T0)
    assert webhook.messages()[0]["title"] == "[FIRING:warning] Database backup stale"
    BackupRun.objects.create(kind="database", status="succeeded", started_at=T0,
                             finished_at=T0 + timedelta(minutes=1))
    assert "Database backup stale: resolved (1 channels told)" in alerts.alerts_tick(
        now=T0 + timedelta(minutes=2))
    assert "#backups-stale" in webhook.messages()[1]["message"]


def test_a_hung_rpc_endpoint_is_a_failed_probe_within_the_timeout(settings):
    import time

    from tests.servers import hanging_tcp_server

    settings.OUTBOUND_TIMEOUT_SECONDS = 0.5
    with hanging_tcp_server() as port, rpc_server() as good:
        for i in range(3):
            rpc.rpc_endpoint_create(name=f"hung{i}", url=f"http://127.0.0.1:{port}/", priority=i)
        rpc.rpc_endpoint_create(name="good", url=good.url, priority=9)
        started = time.monotonic()
        probes = rpc.rpc_endpoints_probe(now=T0)
        elapsed = time.monotonic() - started
    assert elapsed < 1.5  # in parallel: one timeout, not three
    assert [(p.endpoint.name, p.ok) for p in probes] == [
        ("hung0", False), ("hung1", False), ("hung2", False), ("good", True)]
    assert "timed out" in probes[0].error
