"""The alerting endpoints: shapes, scopes and a clear 400 for every bad input."""

import pytest
from django.utils import timezone

from alerting.models import Alert, AlertRule, NotificationChannel
from alerting.services import alerts
from monitoring.models import RpcEndpoint
from monitoring.services import rpc

pytestmark = pytest.mark.django_db

RULE = {"name": "p95 slow", "metric_key": "confirmation_ms.p95", "operator": ">",
        "threshold": 3000, "for_seconds": 300, "severity": "warning", "actions": ["notify"]}


def test_it_creates_lists_and_patches_an_alert_rule(write_client, read_client):
    created = write_client.post("/api/v1/alert-rules", RULE, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert {k: body[k] for k in RULE} == {**RULE, "threshold": 3000.0}
    assert body["enabled"] is True and body["min_events"] == 0
    listed = read_client.get("/api/v1/alert-rules").json()
    assert [r["name"] for r in listed] == ["p95 slow"]
    patched = write_client.patch(f"/api/v1/alert-rules/{body['id']}",
                                 {"threshold": 2500, "enabled": False}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["threshold"], patched.json()["enabled"]) == (2500.0, False)


@pytest.mark.parametrize("change, field, fragment", [
    ({"metric_key": "nope"}, "metric_key", "unknown metric key 'nope'"),
    ({"operator": "=>"}, "operator", "not a valid choice"),
    ({"threshold": "high"}, "threshold", "A valid number is required"),
    ({"for_seconds": -1}, "for_seconds", "greater than or equal to 0"),
    ({"severity": "critical"}, "severity", "not a valid choice"),
    ({"actions": ["page", "reboot"]}, "actions", "unknown action(s) reboot"),
    ({"actions": "page"}, "actions", "must be a list"),
    ({"depends_on": "no such rule"}, "depends_on", "does not exist"),
    ({"name": ""}, "name", "may not be blank"),
])
def test_it_rejects_a_bad_rule_with_a_clear_message(write_client, change, field, fragment):
    response = write_client.post("/api/v1/alert-rules", {**RULE, **change}, format="json")
    assert response.status_code == 400
    assert fragment in " ".join(response.json()[field]), response.json()
    assert not AlertRule.objects.exists()


def test_it_rejects_a_bad_patch_and_keeps_the_rule(write_client):
    rule_id = write_client.post("/api/v1/alert-rules", RULE, format="json").json()["id"]
    response = write_client.patch(f"/api/v1/alert-rules/{rule_id}", {"metric_key": "x"},
                                  format="json")
    assert response.status_code == 400
    assert AlertRule.objects.get().metric_key == "confirmation_ms.p95"
    assert write_client.patch("/api/v1/alert-rules/999", {}, format="json").status_code == 404


def test_rules_need_the_write_scope_to_change(read_client):
    response = read_client.post("/api/v1/alert-rules", RULE, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "This endpoint needs the 'write' scope."}


def test_it_lists_alerts_by_state_and_rejects_an_unknown_state(read_client):
    from alerting.services.alert_rules import alert_rules_bootstrap

    alert_rules_bootstrap()
    now = timezone.now()
    alerts.alert_rules_evaluate(now=now, values={"trades_without_tpsl_24h": 3,
                                                 "websocket_connected": False}, samples={})
    firing = read_client.get("/api/v1/alerts?state=firing").json()["results"]
    assert [(a["rule"], a["state"], a["severity"]) for a in firing] == [
        ("Trades without TP/SL", "firing", "page")]
    pending = read_client.get("/api/v1/alerts?state=pending").json()["results"]
    assert [a["rule"] for a in pending] == ["WebSocket disconnected"]
    assert read_client.get("/api/v1/alerts").json()["count"] == 2
    bad = read_client.get("/api/v1/alerts?state=open")
    assert bad.status_code == 400
    assert bad.json() == {"state": [
        "unknown state 'open'; choose from pending, firing, resolved"]}


def test_ack_of_a_resolved_or_unknown_alert_is_refused(write_client, read_client):
    rule = AlertRule.objects.create(name="r", metric_key="error_rate", operator=">",
                                    threshold=0)
    alert = Alert.objects.create(rule=rule, started_at=timezone.now(), state="resolved")
    response = write_client.post(f"/api/v1/alerts/{alert.pk}/ack")
    assert response.status_code == 400
    assert response.json() == {"detail": ["this alert is already resolved"]}
    assert write_client.post("/api/v1/alerts/999/ack").status_code == 404
    assert read_client.post(f"/api/v1/alerts/{alert.pk}/ack").status_code == 403


def test_it_creates_a_channel_with_a_usable_apprise_url(write_client, read_client):
    response = write_client.post("/api/v1/notification-channels", {
        "name": "ops", "url": "json://127.0.0.1:9999/hook", "min_severity": "page"},
        format="json")
    assert response.status_code == 201, response.json()
    assert read_client.get("/api/v1/notification-channels").json()[0]["name"] == "ops"


@pytest.mark.parametrize("data, field, fragment", [
    ({"url": "nonsense://nowhere"}, "url", "not a usable Apprise URL"),
    ({"url": "tgram://"}, "url", "not a usable Apprise URL"),
    ({"url": ""}, "url", "may not be blank"),
    ({"min_severity": "urgent"}, "min_severity", "not a valid choice"),
    ({"name": ""}, "name", "may not be blank"),
])
def test_it_rejects_an_unusable_channel(write_client, data, field, fragment):
    response = write_client.post("/api/v1/notification-channels", {
        "name": "ops", "url": "json://127.0.0.1:9999/hook", **data}, format="json")
    assert response.status_code == 400
    assert fragment in " ".join(response.json()[field]), response.json()
    assert not NotificationChannel.objects.exists()


def test_it_registers_rpc_endpoints_and_the_first_becomes_active(write_client, read_client):
    assert read_client.get("/api/v1/rpc/active").status_code == 404
    first = write_client.post("/api/v1/rpc/endpoints", {
        "name": "helius", "url": "https://rpc.example.com/", "priority": 0}, format="json")
    assert first.status_code == 201, first.json()
    write_client.post("/api/v1/rpc/endpoints", {
        "name": "backup", "url": "https://rpc2.example.com/", "priority": 1}, format="json")
    listed = read_client.get("/api/v1/rpc/endpoints").json()
    assert [(e["name"], e["is_active"]) for e in listed] == [("helius", True),
                                                             ("backup", False)]
    active = read_client.get("/api/v1/rpc/active").json()
    assert (active["name"], active["url"]) == ("helius", "https://rpc.example.com/")
    assert active["since"]


@pytest.mark.parametrize("data, field, fragment", [
    ({"url": "not a url"}, "url", "Enter a valid URL"),
    ({"priority": "first"}, "priority", "A valid integer is required"),
    ({"name": ""}, "name", "may not be blank"),
])
def test_it_rejects_a_bad_rpc_endpoint(write_client, data, field, fragment):
    response = write_client.post("/api/v1/rpc/endpoints", {
        "name": "x", "url": "https://rpc.example.com/", "priority": 0, **data}, format="json")
    assert response.status_code == 400
    assert fragment in " ".join(response.json()[field]), response.json()
    assert not RpcEndpoint.objects.exists()


def test_a_duplicate_endpoint_name_is_a_400(write_client):
    rpc.rpc_endpoint_create(name="x", url="https://rpc.example.com/")
    response = write_client.post("/api/v1/rpc/endpoints", {
        "name": "x", "url": "https://rpc.example.com/", "priority": 0}, format="json")
    assert response.status_code == 400
    assert "already exists" in response.json()["name"][0]


def test_the_openapi_schema_builds_without_warnings():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
