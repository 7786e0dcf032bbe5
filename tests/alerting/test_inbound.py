"""Inbound alerts (issue 20.3): Alertmanager's webhook and a generic JSON webhook enter the
portal's own alert lifecycle."""

import datetime
import json
import shutil
import subprocess
import time
import urllib.request

import pytest
from django.utils import timezone

from alerting.models import Alert, AlertRule, Notification
from alerting.services.alert_rules import silence_create
from alerting.services.alerts import alerts_tick
from alerting.services.inbound import integration_token_rotate, integrations_bootstrap
from incidents.models import Incident
from tests.processes import free_port

pytestmark = pytest.mark.django_db
NOW = timezone.now


@pytest.fixture
def integrations(db):
    integrations_bootstrap()
    return {r.source: r for r in AlertRule.objects.exclude(source="metric")}


def am_payload(*alerts, status="firing"):
    return {"version": "4", "groupKey": "{}:{alertname=\"x\"}", "truncatedAlerts": 0,
            "status": status, "receiver": "opsportal", "groupLabels": {}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "http://alertmanager.example:9093",
            "alerts": list(alerts)}


def am_alert(name, fingerprint, status="firing", severity="critical", **labels):
    return {"status": status, "labels": {"alertname": name, "severity": severity, **labels},
            "annotations": {"summary": f"{name} on the bot",
                            "description": f"{name} has held for 5 minutes"},
            "startsAt": (NOW() - datetime.timedelta(minutes=5)).isoformat(),
            "endsAt": (NOW().isoformat() if status == "resolved"
                       else "0001-01-01T00:00:00Z"),
            "generatorURL": "http://prometheus.example:9090/graph", "fingerprint": fingerprint}


def test_alertmanager_alerts_fire_dedup_and_resolve(write_client, integrations, page_channel,
                                                   webhook):
    body = am_payload(am_alert("BotDown", "aa11"), am_alert("HighLatency", "bb22",
                                                            severity="warning"))
    response = write_client.post("/api/v1/integrations/alertmanager", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["firing"] == 2
    alerts = {a.fingerprint: a for a in Alert.objects.all()}
    assert alerts["aa11"].state == "firing" and alerts["aa11"].effective_severity == "page"
    assert alerts["bb22"].effective_severity == "warning"
    assert alerts["aa11"].title == "BotDown: BotDown on the bot"
    sent = len(webhook.messages())
    assert sent == 2 and "BotDown" in json.dumps(webhook.messages())
    # Apprise's json:// type follows the severity: a page is a failure, not "info".
    types = {m["title"].split("]")[0]: m["type"] for m in webhook.messages()}
    assert types == {"[FIRING:page": "failure", "[FIRING:warning": "warning"}
    # Alertmanager repeats a group: the same fingerprints are one episode each, told once.
    assert write_client.post("/api/v1/integrations/alertmanager", body,
                             format="json").status_code == 200
    assert Alert.objects.count() == 2 and len(webhook.messages()) == sent
    resolved = am_payload(am_alert("BotDown", "aa11", status="resolved"), status="resolved")
    assert write_client.post("/api/v1/integrations/alertmanager", resolved,
                             format="json").json()["resolved"] == 1
    assert Alert.objects.get(fingerprint="aa11").state == "resolved"
    assert Alert.objects.get(fingerprint="bb22").state == "firing"
    assert Notification.objects.filter(kind="resolved").count() == 1
    assert webhook.messages()[-1]["type"] == "success"
    # The same fingerprint firing again is a new episode.
    write_client.post("/api/v1/integrations/alertmanager", am_payload(am_alert("BotDown", "aa11")),
                      format="json")
    assert Alert.objects.filter(fingerprint="aa11").count() == 2


@pytest.mark.parametrize("body, field", [
    ({"version": "3", "alerts": []}, "version"),
    (am_payload(), "alerts"),
    (am_payload({"status": "weird", "labels": {}}), "alerts[0].status"),
    (am_payload(am_alert("A", "f1"), {"status": "firing", "labels": {"a": 1}}),
     "alerts[1].labels"),
    (am_payload({"status": "firing", "labels": {"alertname": "x"}, "startsAt": "yesterday"}),
     "alerts[0].startsAt"),
])
def test_a_bad_alertmanager_body_is_a_400_and_stores_nothing(write_client, integrations, body,
                                                              field):
    response = write_client.post("/api/v1/integrations/alertmanager", body, format="json")
    assert response.status_code == 400 and field in json.dumps(response.json())
    assert not Alert.objects.exists()


def test_the_url_token_is_the_credential_alertmanager_can_carry(api, read_client, integrations):
    rule = integrations["webhook"]
    token = integration_token_rotate(rule=rule)
    body = {"title": "Disk 90% full on bot-1", "severity": "warning", "labels": {"host": "b1"}}
    assert api.post(f"/api/v1/integrations/webhook/{token}", body,
                    format="json").status_code == 200
    assert api.post(f"/api/v1/integrations/webhook/{token[:-2]}xx", body,
                    format="json").status_code == 404
    assert api.post(f"/api/v1/integrations/alertmanager/{token}", am_payload(am_alert("A", "1")),
                    format="json").status_code == 404  # a webhook token is not Alertmanager's
    assert api.post("/api/v1/integrations/webhook", body, format="json").status_code == 401
    assert read_client.post("/api/v1/integrations/webhook", body,
                            format="json").status_code == 403
    rotated = integration_token_rotate(rule=rule)
    assert api.post(f"/api/v1/integrations/webhook/{token}", body,
                    format="json").status_code == 404  # the old one stops working
    assert api.post(f"/api/v1/integrations/webhook/{rotated}", body,
                    format="json").status_code == 200
    alert = Alert.objects.get()
    assert alert.title == "Disk 90% full on bot-1" and alert.labels == {"host": "b1"}


def test_a_generic_webhook_alert_is_silenced_by_labels_and_opens_an_incident(
        write_client, integrations, page_channel, webhook):
    rule = integrations["webhook"]
    rule.actions = ["notify", "open_incident"]
    rule.save()
    silence_create(starts_at=NOW() - datetime.timedelta(minutes=1),
                   ends_at=NOW() + datetime.timedelta(hours=1), reason="maintenance on b2",
                   labels={"host": "b2"})
    quiet = {"title": "b2 reboot", "severity": "critical", "labels": {"host": "b2"}}
    loud = {"title": "Bot wallet balance low", "severity": "critical",
            "fingerprint": "wallet-low", "description": "0.2 SOL left"}
    response = write_client.post("/api/v1/integrations/webhook", {"alerts": [quiet, loud]},
                                 format="json")
    assert response.status_code == 200, response.content
    silenced = Alert.objects.get(title="b2 reboot")
    assert silenced.silenced and silenced.notified_at is None
    paged = Alert.objects.get(fingerprint="wallet-low")
    assert paged.effective_severity == "page" and paged.incident is not None
    # Actions run even while silenced (as for a rule's alerts); notifications do not.
    assert Incident.objects.filter(
        title__startswith="Inbound webhook: Bot wallet balance low").count() == 1
    assert [m for m in webhook.messages() if "wallet balance" in json.dumps(m)]
    assert not [m for m in webhook.messages() if "b2 reboot" in json.dumps(m)]
    write_client.post("/api/v1/integrations/webhook", loud | {"status": "resolved"},
                      format="json")
    paged.refresh_from_db()
    assert paged.state == "resolved"
    assert "resolved" in paged.incident.timeline.order_by("-at").first().text


@pytest.mark.parametrize("body, field", [
    ({"severity": "page"}, "title"),
    ({"title": "x", "severity": "apocalyptic"}, "severity"),
    ({"title": "x", "status": "gone"}, "status"),
    ({"alerts": [{"title": "ok"}, {"title": ""}]}, "alerts[1].title"),
])
def test_a_bad_webhook_body_is_a_400_and_stores_nothing(write_client, integrations, body, field):
    response = write_client.post("/api/v1/integrations/webhook", body, format="json")
    assert response.status_code == 400 and field in json.dumps(response.json())
    assert not Alert.objects.exists()


def test_an_unacknowledged_inbound_page_escalates_and_an_expired_one_resolves(
        write_client, integrations):
    from alerting.services.notify import notification_channel_create

    notification_channel_create(name="secondary", url="json://127.0.0.1:9/hook",
                                min_severity="page", escalation_level=1)
    write_client.post("/api/v1/integrations/webhook",
                      {"title": "Bot down", "severity": "page"}, format="json")
    alert = Alert.objects.get()
    later = NOW() + datetime.timedelta(seconds=integrations["webhook"].escalate_after_seconds + 5)
    assert any("escalated to level 1" in line for line in alerts_tick(now=later))
    write_client.post("/api/v1/integrations/webhook",
                      {"title": "Batch job late", "ends_at": (NOW() + datetime.timedelta(
                          minutes=5)).isoformat()}, format="json")
    lines = alerts_tick(now=NOW() + datetime.timedelta(minutes=6))
    assert any("Batch job late: resolved" in line for line in lines)
    alert.refresh_from_db()
    assert alert.escalation_level == 1 and alert.state == "firing"


ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


@pytest.mark.realclock  # Alertmanager (Go) keeps the real clock: its alerts' times must too
@pytest.mark.skipif(ALERTMANAGER is None, reason="needs Debian's prometheus-alertmanager")
def test_a_real_alertmanager_delivers_and_resolves_through_the_url_token(
        live_server, integrations, tmp_path):
    token = integration_token_rotate(rule=integrations["alertmanager"])
    port, cluster = free_port(), free_port()
    (tmp_path / "am.yml").write_text(
        "route:\n  receiver: opsportal\n  group_wait: 1s\n  group_interval: 1s\n"
        "  repeat_interval: 1h\nreceivers:\n  - name: opsportal\n    webhook_configs:\n"
        f"      - url: {live_server.url}/api/v1/integrations/alertmanager/{token}\n"
        "        send_resolved: true\n")
    proc = subprocess.Popen(  # noqa: S603
        [ALERTMANAGER, f"--config.file={tmp_path / 'am.yml'}",
         f"--storage.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
         f"--cluster.listen-address=127.0.0.1:{cluster}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    started = NOW() - datetime.timedelta(minutes=1)
    try:
        def post_alert(ends_at):
            body = json.dumps([{"labels": {"alertname": "BotDown", "severity": "critical"},
                                "annotations": {"summary": "the bot stopped"},
                                "startsAt": started.isoformat(), "endsAt": ends_at}]).encode()
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v2/alerts",
                                             data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=5).close()  # noqa: S310 (loopback)

        def wait_for(state):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                alert = Alert.objects.filter(rule=integrations["alertmanager"]).first()
                if alert is not None and alert.state == state:
                    return alert
                time.sleep(0.2)  # polling the database with a deadline
            raise AssertionError(f"no {state} alert within 30 s")

        deadline = time.monotonic() + 20
        while True:  # Alertmanager's API is up when it answers
            try:
                post_alert((NOW() + datetime.timedelta(hours=1)).isoformat())
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        alert = wait_for("firing")
        assert alert.title.startswith("BotDown") and alert.effective_severity == "page"
        assert len(alert.fingerprint) == 16  # Alertmanager's own fingerprint
        post_alert((NOW() - datetime.timedelta(seconds=1)).isoformat())
        wait_for("resolved")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
