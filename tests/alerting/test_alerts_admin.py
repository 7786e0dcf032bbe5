"""Admin pages for alerting: every model's changelist, search, add and change, and actions."""

import pytest
from django.utils import timezone

from alerting.models import Alert, AlertRule, Notification, NotificationChannel, Silence
from alerting.services import alerts, notify
from alerting.services.alert_rules import alert_rules_bootstrap
from monitoring.models import RpcEndpoint, RpcProbe
from monitoring.services import rpc
from tests.monitoring.conftest import rpc_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss_client(client, portal_admin):
    client.force_login(portal_admin)
    return client


@pytest.fixture
def filled(page_channel):
    alert_rules_bootstrap()
    alerts.alert_rules_evaluate(now=timezone.now(), values={"trades_without_tpsl_24h": 1},
                                samples={})
    endpoint = rpc.rpc_endpoint_create(name="primary", url="http://127.0.0.1:9/")
    rpc.rpc_endpoint_probe(endpoint=endpoint, now=timezone.now())
    Silence.objects.create(rule=AlertRule.objects.first(), starts_at=timezone.now(),
                           ends_at=timezone.now() + timezone.timedelta(hours=1), reason="m")


@pytest.mark.parametrize("model", [AlertRule, Alert, NotificationChannel, Notification,
                                   Silence, RpcEndpoint, RpcProbe])
def test_every_alerting_admin_page_renders(boss_client, filled, model):
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    assert boss_client.get(base).status_code == 200
    assert boss_client.get(base + "?q=a").status_code == 200
    obj = model.objects.first()
    assert boss_client.get(f"{base}{obj.pk}/change/").status_code == 200
    assert boss_client.get(base + "add/").status_code in (200, 403)


def test_the_alert_page_shows_its_full_history(boss_client, filled):
    alert = Alert.objects.get()
    html = boss_client.get(f"/admin/alerting/alert/{alert.pk}/change/").content.decode()
    for text in ("pending", "fired", "notified", "firing → on-call"):
        assert text in html


def test_the_endpoint_page_shows_its_last_probes(boss_client, filled):
    endpoint = RpcEndpoint.objects.get()
    html = boss_client.get(f"/admin/monitoring/rpcendpoint/{endpoint.pk}/change/").content
    assert b"unreachable: [Errno 111] Connection refused" in html


def test_the_admin_refuses_an_unusable_channel_url(boss_client):
    response = boss_client.post("/admin/alerting/notificationchannel/add/", {
        "name": "bad", "url": "nonsense://x", "min_severity": "page", "escalation_level": 0,
        "enabled": "on"})
    assert response.status_code == 200
    assert b"not a usable Apprise URL" in response.content
    assert not NotificationChannel.objects.exists()


def test_send_test_reaches_the_channel_and_reports_it(boss_client, page_channel, webhook):
    response = boss_client.post("/admin/alerting/notificationchannel/", {
        "action": "send_test", "_selected_action": [page_channel.pk]}, follow=True)
    assert b"Test sent to on-call." in response.content
    assert webhook.messages()[0]["title"] == "opsportal test notification"
    assert Notification.objects.get().delivered_at is not None


def test_send_test_reports_a_failing_channel(boss_client):
    channel = notify.notification_channel_create(name="dead",
                                                 url="json://127.0.0.1:9/nothing")
    response = boss_client.post("/admin/alerting/notificationchannel/", {
        "action": "send_test", "_selected_action": [channel.pk]}, follow=True)
    assert b"Test failed for dead" in response.content
    assert Notification.objects.get().last_error


def test_the_acknowledge_action_acknowledges(boss_client, filled):
    alert = Alert.objects.get()
    response = boss_client.post("/admin/alerting/alert/", {
        "action": "acknowledge", "_selected_action": [alert.pk]}, follow=True)
    assert b"1 alert(s) acknowledged." in response.content
    alert.refresh_from_db()
    assert alert.acknowledged_label == "boss"


def test_probe_now_probes_a_real_rpc(boss_client):
    with rpc_server() as server:
        endpoint = rpc.rpc_endpoint_create(name="fake", url=server.url)
        response = boss_client.post("/admin/monitoring/rpcendpoint/", {
            "action": "probe_now", "_selected_action": [endpoint.pk]}, follow=True)
    (message,) = [str(m) for m in response.context["messages"]]
    assert message.startswith("fake: ok (")
    endpoint.refresh_from_db()
    assert endpoint.healthy


def test_a_viewer_sees_alerts_but_cannot_acknowledge_them(client, viewer, filled):
    client.force_login(viewer)
    alert = Alert.objects.get()
    page = client.get("/admin/alerting/alert/")
    assert page.status_code == 200
    assert b'value="acknowledge"' not in page.content
    client.post("/admin/alerting/alert/", {"action": "acknowledge",
                                             "_selected_action": [alert.pk]})
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_a_silence_added_in_the_admin_records_its_creator_and_an_edit_keeps_it(
        boss_client, portal_admin, plan_rules):
    rule = AlertRule.objects.first()
    day = (timezone.now() + timezone.timedelta(days=1)).date().isoformat()
    form = {"rule": rule.pk, "labels": "{}", "starts_at_0": day,
            "starts_at_1": "15:00:00", "ends_at_0": day, "ends_at_1": "16:00:00",
            "reason": "maintenance"}
    assert boss_client.post("/admin/alerting/silence/add/", form).status_code == 302
    silence = Silence.objects.get()
    assert (silence.created_by, silence.reason) == (portal_admin, "maintenance")
    Silence.objects.filter(pk=silence.pk).update(created_by=None)
    response = boss_client.post(f"/admin/alerting/silence/{silence.pk}/change/",
                                {**form, "reason": "longer maintenance"})
    assert response.status_code == 302
    silence.refresh_from_db()
    assert (silence.created_by, silence.reason) == (None, "longer maintenance")
