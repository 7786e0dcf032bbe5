"""`manage.py smoke_test` against a real gunicorn on loopback."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve
from django.utils import timezone

from alerting.models import Alert
from alerting.services.alert_rules import alert_rules_bootstrap
from alerting.services.alerts import alerts_tick
from deployments.models import SmokeTestRun
from monitoring.models import Event
from monitoring.selectors.metrics import metrics_current
from tests.monitoring.events import ingest, trade
from tests.processes import free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def smoke(*args):
    try:
        call_command("smoke_test", *args)
    except SystemExit as exc:
        return exc.code
    return 0


def results(run):
    return {r["name"]: r for r in run.results}


def test_it_passes_against_a_healthy_deployment_and_records_every_check(
        gunicorn, make_token, capsys):
    try:
        resolve("/api/v1/events")
    except Resolver404:
        pytest.skip("event ingestion (POST /api/v1/events) is not in this release yet")
    token = make_token("read,ingest")
    with gunicorn() as base:
        code = smoke("--base-url", base, "--token", token)
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    run = SmokeTestRun.objects.get()
    assert run.ok and run.target == base
    assert set(results(run)) >= {"health", "metrics", "event ingestion", "admin login page",
                                 "docs", "api schema"}


def test_it_fails_clearly_when_the_deployments_database_is_down(gunicorn, make_token, capsys):
    token = make_token("read,ingest")
    refused = f"postgres://postgres@127.0.0.1:{free_port()}/gone"
    with gunicorn(DATABASE_URL=refused, DB_CONNECT_TIMEOUT=1) as base:
        code = smoke("--base-url", base, "--token", token, "--timeout", "5")
    out = capsys.readouterr()
    assert code == 1
    assert "smoke test FAILED: health" in out.err
    run = SmokeTestRun.objects.get()
    assert not run.ok
    health = results(run)["health"]
    assert health["status"] == "fail" and "HTTP 503" in health["detail"]
    # The token lives in the dead database: authenticated checks fail too, each saying why.
    assert results(run)["metrics"]["status"] == "fail"


def test_it_fails_every_check_when_nothing_listens(capsys):
    code = smoke("--base-url", f"http://127.0.0.1:{free_port()}", "--token", "x", "--timeout", "2")
    assert code == 1
    run = SmokeTestRun.objects.get()
    assert not run.ok
    assert "Connection refused" in results(run)["health"]["detail"]
    assert "health" in capsys.readouterr().err


def test_it_asks_for_a_token_rather_than_passing_without_one(gunicorn):
    with gunicorn() as base:
        code = smoke("--base-url", base, "--no-record")
    assert code == 1
    assert SmokeTestRun.objects.count() == 0


def test_a_base_url_without_a_scheme_is_a_one_line_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="must start with http"):
        call_command("smoke_test", "--base-url", "127.0.0.1:8000")


def older_release(method, path, body):
    """An older release: health, metrics and pages, but no event ingestion yet."""
    if path == "/health":
        return 200, {"status": "healthy", "version": "0.9", "checks": {}}
    if path == "/metrics":
        return 200, {"timestamp": "now"}
    if path == "/api/schema":
        return 200, "openapi: 3.0.3\npaths:\n  /health:\n  /metrics:\n"
    if path == "/admin/login/":
        return 200, "<form><input name='csrfmiddlewaretoken'></form>"
    return (200, "docs") if path == "/docs/" else (404, {"detail": "Not found."})


def test_after_a_rollback_it_skips_what_the_older_release_does_not_have():
    from deployments.smoke import smoke_run_checks
    from tests.servers import RecordingServer

    with RecordingServer(respond=older_release) as server:
        base = server.url
        strict = {r.name: r for r in smoke_run_checks(base_url=base, token="t")}
        lenient = {r.name: r for r in smoke_run_checks(base_url=base, token="t",
                                                       skip_absent=True)}
    assert strict["event ingestion"].status == "fail"
    assert lenient["event ingestion"].status == "skip"
    assert "not in this release" in lenient["event ingestion"].detail
    # Only what the release lacks is skipped: the rest is still checked.
    assert lenient["health"].status == "pass" and lenient["docs"].status == "pass"


def test_a_smoke_test_against_a_running_portal_changes_no_number(gunicorn, make_token):
    """The plan runs the smoke test against production at T-4h (issue 19.4)."""
    alert_rules_bootstrap()
    now = timezone.now()
    ingest([trade(now - datetime.timedelta(minutes=1))])
    before = _numbers_of(metrics_current(now=now))
    token = make_token("read,ingest")
    with gunicorn() as base:
        served_before = _served_metrics(base, token)
        try:
            call_command("smoke_test", "--base-url", base, "--token", token)
        except SystemExit as exc:
            assert exc.code in (0, None)
        # The body the dashboard and the bot's operators read, over HTTP, before and after.
        assert _served_metrics(base, token) == served_before
    smoke = Event.objects.get(id__startswith="smoke-")
    assert smoke.synthetic
    assert _numbers_of(metrics_current(now=now)) == before
    later = timezone.now()
    alerts_tick(now=later, values=metrics_current(now=later))
    assert not Alert.objects.filter(rule__name="Trades without TP/SL").exists()


def _served_metrics(base: str, token: str) -> dict:
    import json
    import urllib.request

    request = urllib.request.Request(f"{base}/metrics",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.loads(response.read())
    return {k: v for k, v in body.items() if k not in ("timestamp", "generated_at", "now")}


def _numbers_of(values: dict) -> dict:
    return {k: v for k, v in values.items() if k not in ("generated_at", "now")}
