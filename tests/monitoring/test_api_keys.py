"""API keys (issue 18.6): each tried by its provider's cheapest authenticated call, stored
encrypted and never shown; a fake Telegram Bot API over HTTPS accepts one token only."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from alerting.models import Alert, AlertState
from alerting.services import alerts
from monitoring.models import ApiKey, ApiKeyCheck, KeyOutcome
from monitoring.selectors.probes import api_keys_verdict, probe_state_values
from monitoring.services import probes
from tests.monitoring.tls import https_server, test_ca  # noqa: F401  (fixture)
from tests.servers import RecordingServer

pytestmark = pytest.mark.django_db
GOOD, BAD = "123456:good-token", "654321:revoked-token"


def telegram(method, path, body):
    if path == f"/bot{GOOD}/getMe":
        return 200, {"ok": True, "result": {"id": 123456, "is_bot": True, "username": "x_bot"}}
    return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}


@pytest.fixture
def fake_telegram(test_ca, settings):  # noqa: F811
    with https_server(test_ca, days_left=90, respond=telegram) as server:
        settings.TELEGRAM_API_URL = server.url
        yield server


def key(name, secret, provider="telegram"):
    return probes.api_key_create(provider=provider, name=name, secret=secret)


def test_telegram_get_me_tells_a_valid_token_from_a_refused_one(fake_telegram):
    key("bot", GOOD), key("old bot", BAD)
    now = timezone.now()
    checks = {c.key.name: c for c in probes.api_keys_check(now=now)}
    assert checks["bot"].outcome == KeyOutcome.VALID and checks["bot"].status_code == 200
    assert checks["old bot"].outcome == KeyOutcome.INVALID
    assert checks["old bot"].reason == "HTTP 401: the key was refused"
    assert {r["path"] for r in fake_telegram.requests} == {f"/bot{GOOD}/getMe",
                                                           f"/bot{BAD}/getMe"}
    assert ApiKey.objects.get(name="bot").last_success_at == now
    assert probe_state_values(now=now)["api_keys_invalid_count"] == 1
    verdict = api_keys_verdict(now=now)
    assert not verdict.ok
    assert verdict.detail == "old bot (telegram): invalid (401/403), HTTP 401: the key was refused"
    ApiKey.objects.filter(name="old bot").update(enabled=False)
    assert api_keys_verdict(now=now).ok
    # An hour later without a new success the item goes back to NO-GO.
    stale = api_keys_verdict(now=now + timedelta(minutes=61))
    assert not stale.ok and "bot (telegram): no success in the last hour" in stale.detail


def test_keys_are_checked_once_an_hour_however_often_the_loop_runs(fake_telegram, settings):
    key("bot", GOOD)
    now = timezone.now()
    assert len(probes.api_keys_check(now=now)) == 1
    assert probes.api_keys_check(now=now + timedelta(minutes=1)) == []
    assert probes.api_keys_check(now=now + timedelta(minutes=59)) == []
    assert len(probes.api_keys_check(now=now + timedelta(minutes=60))) == 1
    assert len(fake_telegram.requests) == 2


def test_bags_and_jupiter_keys_go_in_x_api_key_on_the_configured_path(settings):
    def respond(method, path, body, headers):
        sent = {k.lower(): v for k, v in headers.items()}["x-api-key"]
        return {"good": (200, {"success": True}), "bad": (403, {"error": "forbidden"}),
                "broken": (500, {"error": "oops"})}[sent]

    with RecordingServer(respond_headers=respond) as server:
        settings.BAGS_API_URL = server.url
        settings.JUPITER_API_URL = server.url + "/jup"
        settings.BAGS_KEY_CHECK_PATH = "/api/v1/check"
        settings.JUPITER_KEY_CHECK_PATH = "/price/v3?ids=SOL"
        key("bags", "good", "bags"), key("jupiter", "bad", "jupiter")
        key("bags 2", "broken", "bags")
        checks = {c.key.name: c for c in probes.api_keys_check(now=timezone.now())}
    assert checks["bags"].outcome == KeyOutcome.VALID
    assert checks["jupiter"].outcome == KeyOutcome.INVALID
    assert checks["bags 2"].outcome == KeyOutcome.UNCHECKED
    assert checks["bags 2"].reason == "HTTP 500: could not check"
    paths = sorted(r["path"] for r in server.requests)
    assert paths == ["/api/v1/check", "/api/v1/check", "/jup/price/v3?ids=SOL"]


def test_an_unreachable_provider_is_could_not_check_not_invalid(settings):
    settings.TELEGRAM_API_URL = "http://127.0.0.1:9"
    settings.BAGS_API_URL = ""
    key("bot", GOOD), key("bags", "k", "bags")
    checks = {c.key.name: c for c in probes.api_keys_check(now=timezone.now())}
    assert checks["bot"].outcome == KeyOutcome.UNCHECKED
    assert checks["bot"].reason.startswith("unreachable: ")
    assert GOOD not in checks["bot"].reason
    assert checks["bags"].reason == "BAGS_API_URL is not set"
    assert probe_state_values(now=timezone.now())["api_keys_invalid_count"] == 0


def test_an_invalid_key_pages_naming_the_key(fake_telegram, plan_rules, page_channel, webhook):
    key("old bot", BAD)
    now = timezone.now()
    probes.api_keys_check(now=now)
    alerts.alerts_tick(now=now)
    assert Alert.objects.get(rule__name="API key invalid").state == AlertState.FIRING
    body = "\n".join(str(m) for m in webhook.messages())
    assert "old bot (telegram): HTTP 401: the key was refused" in body
    assert BAD not in body


def test_no_key_registered_is_no_go():
    assert api_keys_verdict(now=timezone.now()).detail == (
        "no API key registered (admin → API keys)")


def test_the_secret_is_stored_encrypted_and_never_shown(write_client, read_client):
    r = write_client.post("/api/v1/api-keys", {"provider": "telegram", "name": "bot",
                                               "secret": GOOD}, format="json")
    assert r.status_code == 201, r.content
    assert "secret" not in r.json() and GOOD not in r.content.decode()
    listed = read_client.get("/api/v1/api-keys")
    assert listed.status_code == 200 and GOOD not in listed.content.decode()
    assert listed.json()[0]["name"] == "bot" and listed.json()[0]["last_outcome"] is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM monitoring_apikey")
        stored = cursor.fetchone()[0]
    assert GOOD not in stored
    assert ApiKey.objects.get().secret == GOOD


def test_api_key_bad_input_is_a_clear_400(write_client, read_client):
    r = write_client.post("/api/v1/api-keys", {"provider": "github", "name": "x",
                                               "secret": "s"}, format="json")
    assert r.status_code == 400 and "provider" in r.json()
    r = write_client.post("/api/v1/api-keys", {"provider": "bags", "name": "x"}, format="json")
    assert r.status_code == 400 and "secret" in r.json()
    r = read_client.post("/api/v1/api-keys", {"provider": "bags", "name": "x", "secret": "s"},
                         format="json")
    assert r.status_code == 403


def test_the_admin_never_renders_the_secret(admin_client):
    k = key("bot", GOOD)
    for url in ["/admin/monitoring/apikey/", f"/admin/monitoring/apikey/{k.pk}/change/"]:
        page = admin_client.get(url)
        assert page.status_code == 200 and GOOD not in page.content.decode()
    # Saving the form with the secret left blank keeps the stored key.
    r = admin_client.post(f"/admin/monitoring/apikey/{k.pk}/change/", {
        "provider": "telegram", "name": "bot renamed", "secret": "", "enabled": "on",
        "checks-TOTAL_FORMS": "0", "checks-INITIAL_FORMS": "0"})
    assert r.status_code == 302, r.content.decode()[:2000]
    k.refresh_from_db()
    assert (k.name, k.secret) == ("bot renamed", GOOD)


def test_the_admin_check_now_action(fake_telegram, admin_client):
    k = key("bot", GOOD)
    r = admin_client.post("/admin/monitoring/apikey/", {"action": "check_now",
                                                         "_selected_action": [k.pk]},
                          follow=True)
    assert "Bot: valid" in r.content.decode()  # the admin capitalizes messages
    assert ApiKeyCheck.objects.get().outcome == KeyOutcome.VALID
