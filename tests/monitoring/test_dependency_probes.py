"""Dependency probes (issue 18.6): status, JSON condition, latency budget and the TLS
certificate's days left, against real HTTPS servers on 127.0.0.1 signed by a test CA."""

import time
from contextlib import ExitStack
from datetime import timedelta

import pytest
import trustme
from django.utils import timezone

from alerting.models import Alert, AlertState
from alerting.services import alerts
from monitoring.models import Dependency, DependencyProbe
from monitoring.selectors.metrics import metrics_current
from monitoring.selectors.probes import certificates_verdict, probe_state_values
from monitoring.services import probes
from monitoring.services.bootstrap import monitoring_bootstrap
from opsportal import minute
from tests.monitoring.tls import https_server, test_ca  # noqa: F401  (fixture)
from tests.servers import RecordingServer, hanging_tcp_server

pytestmark = pytest.mark.django_db


def dep(name, url, **kw):
    return probes.dependency_create(name=name, url=url, **kw)


@pytest.fixture
def three_certs(test_ca):  # noqa: F811
    """Servers whose certificates expire in 5 days, in 90 days, and 3 days ago."""
    with ExitStack() as stack:
        servers = {name: stack.enter_context(https_server(test_ca, days_left=days))
                   for name, days in (("soon", 5), ("fine", 90), ("expired", -3))}
        for name, server in servers.items():
            dep(name, server.url + "/health")
        yield servers


def latest(name):
    return DependencyProbe.objects.filter(dependency__name=name).first()


def test_each_https_probe_records_its_certificates_days_left_even_when_expired(three_certs):
    now = timezone.now()
    found = probes.dependencies_probe(now=now)
    assert len(found) == 3
    fine, soon, expired = latest("fine"), latest("soon"), latest("expired")
    assert fine.ok and fine.status_code == 200 and fine.cert_days_left == pytest.approx(90, abs=0.1)
    assert soon.ok and soon.cert_days_left == pytest.approx(5, abs=0.1)
    # The verified request fails; the unverified second handshake still reads notAfter.
    assert not expired.ok and expired.status_code is None
    assert expired.cert_days_left == pytest.approx(-3, abs=0.1)
    assert expired.reason.startswith("TLS: certificate has expired")
    assert "expired 3.0 days ago" in expired.reason
    assert three_certs["expired"].requests == []  # never got past the handshake
    state = probe_state_values(now=now)
    assert state["cert_min_days_left"] == pytest.approx(-3, abs=0.1)
    assert state["certs_expiring_count"] == 2
    row = Dependency.objects.get(name="expired")
    assert (row.last_ok, row.consecutive_failures) == (False, 1)


def test_a_certificate_from_an_unknown_ca_fails_verification_but_reports_its_days(test_ca):  # noqa: F811
    stranger = trustme.CA()
    with https_server(stranger, days_left=40) as server:
        dep("self-signed", server.url)
        probe = probes.dependencies_probe(now=timezone.now())[0]
    assert not probe.ok and probe.reason.startswith("TLS: ")
    assert "certificate" in probe.reason
    assert probe.cert_days_left == pytest.approx(40, abs=0.1)


def test_ssl_item_is_no_go_naming_the_offenders_and_go_when_all_are_valid(three_certs):
    never = certificates_verdict(now=timezone.now())
    assert not never.ok and never.detail.count("no certificate read yet") == 3
    now = timezone.now()
    probes.dependencies_probe(now=now)
    verdict = certificates_verdict(now=now)
    assert not verdict.ok
    assert "soon: expires" in verdict.detail and "expired: expired" in verdict.detail
    assert "fine" not in verdict.detail
    Dependency.objects.exclude(name="fine").update(enabled=False)
    verdict = certificates_verdict(now=now)
    assert verdict.ok and verdict.detail == "1 https certificates valid > 14 days: fine 90 d"
    # A reading older than the freshness window no longer counts.
    stale = certificates_verdict(now=now + timedelta(minutes=30))
    assert not stale.ok and "no certificate reading in the last 10 min" in stale.detail


def test_no_https_dependency_is_no_go():
    assert certificates_verdict(now=timezone.now()).detail == "no https dependency registered"
    dep("plain", "http://127.0.0.1:9/")
    assert not certificates_verdict(now=timezone.now()).ok


def test_the_certificate_alert_fires_and_names_the_certificates(three_certs, plan_rules,
                                                                  page_channel, webhook):
    now = timezone.now()
    probes.dependencies_probe(now=now)
    alerts.alerts_tick(now=now)
    alert = Alert.objects.get(rule__name="TLS certificate expiring")
    assert alert.state == AlertState.FIRING and alert.value == 2
    down = Alert.objects.filter(rule__name="Dependency down")
    assert not down.exists()  # one failed probe is not "down" yet
    probes.dependencies_probe(now=now + timedelta(minutes=1))
    alerts.alerts_tick(now=now + timedelta(minutes=1))
    assert Alert.objects.get(rule__name="Dependency down").state == AlertState.FIRING
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(webhook.messages()) < 2:
        alerts.alerts_tick(now=now + timedelta(minutes=1))
    bodies = "\n".join(str(m) for m in webhook.messages())
    assert "soon: certificate expires" in bodies and "expired: certificate expires" in bodies
    assert "expired: down (2 failed probes)" in bodies


def test_the_status_condition_and_latency_budget_decide_ok():
    answers = {"/ok": (200, {"status": "ok", "items": [{"v": 1}]}),
               "/degraded": (200, {"status": "degraded"}), "/gone": (404, {"error": "no"}),
               "/text": (200, "pong")}
    with RecordingServer(respond=lambda m, p, b: answers[p]) as server:
        dep("ok", server.url + "/ok", json_condition={"path": "status", "equals": "ok"})
        dep("list", server.url + "/ok", json_condition={"path": "items.0.v", "in": [1, 2]})
        dep("degraded", server.url + "/degraded",
            json_condition={"path": "status", "equals": "ok"})
        dep("gone", server.url + "/gone")
        dep("gone-expected", server.url + "/gone", expected_status=404)
        dep("text", server.url + "/text", json_condition={"path": "x", "exists": True})
        dep("slow", server.url + "/ok", latency_budget_ms=0)
        probes.dependencies_probe(now=timezone.now())
    reasons = {p.dependency.name: (p.ok, p.reason) for p in DependencyProbe.objects.all()}
    assert reasons["ok"] == (True, "") and reasons["list"] == (True, "")
    assert reasons["gone-expected"] == (True, "")
    assert reasons["degraded"] == (
        False, 'condition failed: status is "degraded", expected "ok"')
    assert reasons["gone"] == (False, "HTTP 404, expected 200")
    assert reasons["text"] == (False, "the answer is not JSON")
    assert reasons["slow"][0] is False and reasons["slow"][1].startswith("slow: ")


def test_a_solana_rpc_dependency_is_sent_get_health():
    with RecordingServer(respond=lambda m, p, b: (200, {"jsonrpc": "2.0", "result": "ok"})) \
            as server:
        dep("rpc", server.url, kind="solana_rpc")
        probe = probes.dependencies_probe(now=timezone.now())[0]
    assert probe.ok
    assert server.requests[0]["method"] == "POST"
    assert server.requests[0]["body"]["method"] == "getHealth"


@pytest.mark.realclock
def test_a_hanging_dependency_costs_the_pass_its_deadline_not_a_stall(settings):
    settings.OUTBOUND_TIMEOUT_SECONDS = 30
    settings.PROBE_DEADLINE_SECONDS = 1.0
    with hanging_tcp_server() as port, RecordingServer() as good:
        dep("hangs", f"http://127.0.0.1:{port}/")
        dep("good", good.url)
        started = time.monotonic()
        found = probes.dependencies_probe(now=timezone.now())
        elapsed = time.monotonic() - started
    assert elapsed < 5
    by_name = {p.dependency.name: p for p in found}
    assert by_name["good"].ok
    assert not by_name["hangs"].ok
    assert by_name["hangs"].reason == "no answer within the pass's 1 s deadline"


def test_two_passes_in_the_same_minute_probe_each_dependency_once():
    with RecordingServer() as server:
        dep("one", server.url)
        now = timezone.now()
        assert len(probes.dependencies_probe(now=now)) == 1
        assert probes.dependencies_probe(now=now + timedelta(seconds=10)) == []
        assert len(probes.dependencies_probe(now=now + timedelta(minutes=1))) == 1
    assert len(server.requests) == 2


def test_probe_rows_are_pruned_after_the_retention(settings):
    settings.DEPENDENCY_PROBE_RETENTION_DAYS = 2
    with RecordingServer() as server:
        d = dep("one", server.url)
        now = timezone.now()
        DependencyProbe.objects.create(dependency=d, at=now - timedelta(days=3), ok=True)
        DependencyProbe.objects.create(dependency=d, at=now - timedelta(days=1), ok=True)
        probes.dependencies_probe(now=now)
    assert DependencyProbe.objects.count() == 2
    assert not DependencyProbe.objects.filter(at__lt=now - timedelta(days=2)).exists()


def test_bootstrap_registers_the_dependencies_set_in_settings(settings):
    settings.BAGS_API_URL = "https://bags.example"
    settings.TELEGRAM_API_URL = "https://telegram.example"
    settings.BOT_HEALTH_URL = "http://127.0.0.1:8080/health"
    assert "dependencies: 3 from settings (3 new)" in monitoring_bootstrap()
    assert "dependencies: 3 from settings (0 new)" in monitoring_bootstrap()
    urls = dict(Dependency.objects.values_list("name", "kind"))
    assert urls == {"bags.fm API": "bags", "Telegram Bot API": "telegram",
                    "bot health": "bot_health"}
    assert Dependency.objects.get(name="bags.fm API").url == "https://bags.example/ping"


def test_nothing_set_registers_nothing():
    assert "dependencies: 0 from settings (0 new)" in monitoring_bootstrap()


def test_the_minute_loop_probes_and_metrics_expose_the_results(three_certs, read_client):
    lines = minute.monitor_pass()
    assert "dependencies: 2/3 ok (failing: expired)" in lines
    body = metrics_current()
    assert body["dependency_down_count"] == 0 and body["certs_expiring_count"] == 2
    assert body["cert_min_days_left"] == pytest.approx(-3, abs=0.1)
    assert body["api_keys_invalid_count"] == 0
    text = read_client.get("/metrics?format=prometheus").content.decode()
    assert "opsportal_certs_expiring_count 2.0" in text
    assert "opsportal_cert_min_days_left -3" in text
    assert body["dependencies"]["fine"]["up"] == 1 and body["dependencies"]["expired"]["up"] == 0
    assert 'opsportal_dependency_up{name="expired"} 0.0' in text
    assert 'opsportal_dependency_cert_days_left{name="fine"} ' in text


def test_the_dashboard_shows_each_dependency_with_its_latency_chart(client, viewer):
    with RecordingServer() as server:
        d = dep("bags.fm API", server.url, kind="bags")
        now = timezone.now()
        for minutes, latency in ((90, 40.0), (60, 80.0), (0, 120.0)):
            DependencyProbe.objects.create(dependency=d, at=now - timedelta(minutes=minutes),
                                           ok=True, status_code=200, latency_ms=latency)
        probes.dependencies_probe(now=now)
    client.force_login(viewer)
    page = client.get("/dashboard/").content.decode()
    assert 'id="dependencies"' in page and "bags.fm API (bags)" in page
    assert 'aria-label="bags.fm API latency"' in page
    assert "<polyline" in page.split('id="dependencies"')[1]


def test_the_dependency_api_creates_masks_and_refuses_bad_input(write_client, read_client):
    r = write_client.post("/api/v1/dependencies", {
        "name": "rpc", "kind": "solana_rpc", "url": "https://rpc.example/?api-key=s3cr3t0000",
        "latency_budget_ms": 500}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["url"] == "https://rpc.example/?api-key=********"
    assert Dependency.objects.get().url == "https://rpc.example/?api-key=s3cr3t0000"
    listed = read_client.get("/api/v1/dependencies").json()
    assert listed[0]["name"] == "rpc" and "s3cr3t0000" not in str(listed)
    for body, field in [
            ({"name": "x", "url": "ftp://example.com/"}, "url"),
            ({"name": "x", "url": "https://e.example", "json_condition": {"path": "a"}},
             "json_condition"),
            ({"name": "x", "url": "https://e.example",
              "json_condition": {"path": "a", "in": "ok"}}, "json_condition"),
            ({"name": "rpc", "url": "https://e.example"}, "name"),
            ({"name": "x", "url": "https://e.example", "kind": "ftp"}, "kind")]:
        r = write_client.post("/api/v1/dependencies", body, format="json")
        assert r.status_code == 400 and field in r.json(), (body, r.content)
    assert read_client.post("/api/v1/dependencies", {"name": "y", "url": "https://e.example"},
                            format="json").status_code == 403
    assert Dependency.objects.count() == 1


def test_the_admin_lists_dependencies_and_probes_now(admin_client):
    with RecordingServer() as server:
        d = dep("bot health", server.url)
        page = admin_client.get("/admin/monitoring/dependency/")
        assert page.status_code == 200 and "bot health" in page.content.decode()
        r = admin_client.post("/admin/monitoring/dependency/", {
            "action": "probe_now", "_selected_action": [d.pk]}, follow=True)
    assert "Bot health: ok" in r.content.decode()
    assert admin_client.get(f"/admin/monitoring/dependency/{d.pk}/change/").status_code == 200
