"""Credentials in channel and RPC URLs: masked below Admin, encrypted at rest, and still
used whole by the code that notifies and probes."""

import base64

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from rest_framework.test import APIClient

from alerting.models import NotificationChannel
from alerting.services import notify
from common.encryption import decrypt_text
from common.redaction import mask_url
from monitoring.models import RpcEndpoint
from monitoring.services import rpc
from tests.servers import RecordingServer

pytestmark = pytest.mark.django_db

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
HOOK_PASSWORD = "Hook-Pass-4242"
HOOK_PATH_TOKEN = "Tk9sX2lzX2FfdG9rZW4xMjM0"
HOOK_HEADER_KEY = "HeaderKey-7777"
RPC_PATH_TOKEN = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
RPC_KEY = "Rpc-Key-9999"
SECRETS = [BOT_TOKEN, "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", HOOK_PASSWORD, HOOK_PATH_TOKEN,
           HOOK_HEADER_KEY, RPC_PATH_TOKEN, RPC_KEY]
MASKED_PRINCIPALS = ["read", "viewer", "operator", "incident_commander"]
WHOLE_PRINCIPALS = ["portal_admin", "read,secrets"]


def hook_url(base: str) -> str:
    host = base.removeprefix("http://")
    return (f"json://alice:{HOOK_PASSWORD}@{host}/hooks/{HOOK_PATH_TOKEN}"
            f"?+X-Api-Key={HOOK_HEADER_KEY}")


def rpc_url(base: str) -> str:
    return f"{base}/rpc/{RPC_PATH_TOKEN}?api-key={RPC_KEY}"


@pytest.fixture
def secret_rows():
    telegram = notify.notification_channel_create(
        name="telegram", url=f"tgram://{BOT_TOKEN}/12345", min_severity="page")
    hook = notify.notification_channel_create(name="hook", url=hook_url("http://127.0.0.1:9"))
    endpoint = rpc.rpc_endpoint_create(name="helius", url=rpc_url("http://127.0.0.1:9"))
    return telegram, hook, endpoint


def api_client(principal, request) -> APIClient:
    client = APIClient()
    if principal in ("read", "read,secrets"):
        token = request.getfixturevalue("make_token")(principal, name=principal)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    else:
        client.force_login(request.getfixturevalue(principal))
    return client


def leaked(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


@pytest.mark.parametrize("principal", MASKED_PRINCIPALS)
def test_the_api_masks_channel_and_rpc_urls_below_admin(principal, request, secret_rows):
    telegram, hook, endpoint = secret_rows
    client = api_client(principal, request)
    for path in ("/api/v1/notification-channels", "/api/v1/rpc/endpoints", "/api/v1/rpc/active"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.content)
        assert not leaked(response.content.decode()), path
    channels = {c["name"]: c["url"] for c in client.get("/api/v1/notification-channels").json()}
    assert channels == {"telegram": "tgram://********/12345", "hook": mask_url(hook.url)}
    assert client.get("/api/v1/rpc/active").json()["url"] == (
        "http://127.0.0.1:9/rpc/********?api-key=********")


@pytest.mark.parametrize("principal", WHOLE_PRINCIPALS)
def test_admins_and_secrets_tokens_get_the_urls_whole(principal, request, secret_rows):
    telegram, hook, endpoint = secret_rows
    client = api_client(principal, request)
    channels = {c["name"]: c["url"] for c in client.get("/api/v1/notification-channels").json()}
    assert channels == {"telegram": telegram.url, "hook": hook.url}
    assert client.get("/api/v1/rpc/endpoints").json()[0]["url"] == endpoint.url
    assert client.get("/api/v1/rpc/active").json()["url"] == endpoint.url


def test_a_masked_url_posted_back_is_refused_not_stored(write_client, secret_rows):
    response = write_client.post("/api/v1/rpc/endpoints", {
        "name": "copy", "url": "http://127.0.0.1:9/rpc/********?api-key=********"},
        format="json")
    assert response.status_code == 400 and "mask" in response.json()["url"][0]
    response = write_client.post("/api/v1/notification-channels", {
        "name": "copy", "url": "tgram://********/12345"}, format="json")
    assert response.status_code == 400
    assert not RpcEndpoint.objects.filter(name="copy").exists()
    assert not NotificationChannel.objects.filter(name="copy").exists()


ADMIN_PAGES = ["/admin/alerting/notificationchannel/",
               "/admin/alerting/notificationchannel/{telegram}/change/",
               "/admin/alerting/notificationchannel/{hook}/change/",
               "/admin/monitoring/rpcendpoint/",
               "/admin/monitoring/rpcendpoint/{endpoint}/change/"]


def pages(rows):
    telegram, hook, endpoint = rows
    return [p.format(telegram=telegram.pk, hook=hook.pk, endpoint=endpoint.pk)
            for p in ADMIN_PAGES]


@pytest.mark.parametrize("principal", ["viewer", "operator", "incident_commander"])
def test_the_admin_masks_the_urls_below_admin(principal, request, secret_rows):
    client = Client()
    client.force_login(request.getfixturevalue(principal))
    for page in pages(secret_rows):
        response = client.get(page)
        assert response.status_code == 200, page
        assert not leaked(response.content.decode()), page
    endpoint = secret_rows[2]
    page = client.get(f"/admin/monitoring/rpcendpoint/{endpoint.pk}/change/").content.decode()
    assert escape("http://127.0.0.1:9/rpc/********?api-key=********") in page


def test_the_admin_shows_admins_the_urls_whole(client, portal_admin, secret_rows):
    client.force_login(portal_admin)
    telegram, hook, endpoint = secret_rows
    assert escape(telegram.url) in client.get(pages(secret_rows)[1]).content.decode()
    assert escape(endpoint.url) in client.get(pages(secret_rows)[3]).content.decode()


def test_an_operator_saving_a_masked_url_keeps_the_real_one(client, operator, secret_rows):
    telegram, hook, endpoint = secret_rows
    client.force_login(operator)
    page = f"/admin/alerting/notificationchannel/{hook.pk}/change/"
    form = {"name": "hook", "url": mask_url(hook.url), "min_severity": "page",
            "escalation_level": 1, "enabled": "on"}
    response = client.post(page, form)
    assert response.status_code == 302, response.content.decode()[-2000:]
    hook.refresh_from_db()
    assert (hook.url, hook.min_severity, hook.escalation_level) == (
        hook_url("http://127.0.0.1:9"), "page", 1)
    # A copy of the mask with anything else changed is refused, and nothing is written.
    response = client.post(page, {**form, "url": mask_url(hook.url) + "&x=1",
                                  "min_severity": "info"})
    assert response.status_code == 200 and "the mask of a secret" in response.content.decode()
    assert not leaked(response.content.decode())
    hook.refresh_from_db()
    assert (hook.url, hook.min_severity) == (hook_url("http://127.0.0.1:9"), "page")
    # A whole new URL is written.
    response = client.post(page, {**form, "url": "json://127.0.0.1:9/new"})
    assert response.status_code == 302
    hook.refresh_from_db()
    assert hook.url == "json://127.0.0.1:9/new"

    rpc_page = f"/admin/monitoring/rpcendpoint/{endpoint.pk}/change/"
    response = client.post(rpc_page, {
        "name": "helius", "url": mask_url(endpoint.url), "priority": 3, "enabled": "on",
        "probes-TOTAL_FORMS": 0, "probes-INITIAL_FORMS": 0, "probes-MIN_NUM_FORMS": 0,
        "probes-MAX_NUM_FORMS": 0})
    assert response.status_code == 302, response.content.decode()[-2000:]
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.priority) == (rpc_url("http://127.0.0.1:9"), 3)


def test_the_columns_hold_no_plaintext(secret_rows):
    with connection.cursor() as cursor:
        cursor.execute("SELECT url FROM alerting_notificationchannel "
                       "UNION ALL SELECT url FROM monitoring_rpcendpoint")
        stored = [row[0] for row in cursor.fetchall()]
    assert len(stored) == 3
    assert not leaked(" ".join(stored)) and not any("://" in s for s in stored)
    assert sorted(decrypt_text(s) for s in stored) == sorted(r.url for r in secret_rows)


def test_the_audit_log_keeps_no_credential(client, operator, secret_rows):
    telegram, hook, endpoint = secret_rows
    client.force_login(operator)
    client.post(f"/admin/alerting/notificationchannel/{telegram.pk}/change/", {
        "name": "telegram", "url": "tgram://987654321:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/1",
        "min_severity": "page", "escalation_level": 0, "enabled": "on"})
    entries = LogEntry.objects.filter(object_pk__in=[str(r.pk) for r in secret_rows])
    assert entries.count() >= 4
    text = " ".join(str(e.changes) for e in entries)
    assert not leaked(text) and "BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in text
    create = LogEntry.objects.get_for_object(endpoint).filter(action=LogEntry.Action.CREATE).get()
    assert create.changes["url"] == ["None", "http://127.0.0.1:9/rpc/********?api-key=********"]


def test_notifications_go_to_the_real_url():
    with RecordingServer() as server:
        channel = notify.notification_channel_create(name="hook", url=hook_url(server.url))
        assert notify.notification_channel_send_test(channel=channel, now=timezone.now())
    (request,) = server.requests
    assert request["path"] == f"/hooks/{HOOK_PATH_TOKEN}"
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(
        f"alice:{HOOK_PASSWORD}".encode()).decode()
    assert request["headers"]["X-Api-Key"] == HOOK_HEADER_KEY


def test_rpc_probes_hit_the_real_url():
    def respond(method, path, body):
        if path != f"/rpc/{RPC_PATH_TOKEN}?api-key={RPC_KEY}":
            return 401, {"error": "bad key"}
        return 200, {"jsonrpc": "2.0", "id": 1, "result": "ok"}

    with RecordingServer(respond=respond) as server:
        endpoint = rpc.rpc_endpoint_create(name="helius", url=rpc_url(server.url))
        probe = rpc.rpc_endpoint_probe(endpoint=RpcEndpoint.objects.get(pk=endpoint.pk),
                                       now=timezone.now())
    assert probe.ok, probe.error


def test_the_bots_token_reads_the_active_rpc_url_whole_and_nothing_else(make_token, secret_rows):
    """The contract's bot (`ingest,read`) connects to the active endpoint: it needs the key."""
    telegram, hook, endpoint = secret_rows
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('ingest,read', name='bot')}")
    assert client.get("/api/v1/rpc/active").json()["url"] == endpoint.url
    assert not leaked(client.get("/api/v1/rpc/endpoints").content.decode())
    assert not leaked(client.get("/api/v1/notification-channels").content.decode())
