import datetime
import io

import pytest
from django.core.management import call_command
from django.http import HttpRequest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from backups.services.runs import backup_run_now
from monitoring.models import (
    ComponentState,
    MetricSnapshot,
    RpcEndpoint,
    SchedulerHeartbeat,
    UptimeSample,
)
from monitoring.services.health import health_memory_clear, health_refresh
from opsportal.minute import monitor_pass
from tests.monitoring.events import ev, ingest
from tests.servers import RecordingServer

# The stored state is read in a separate thread (its own connection): commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def make_healthy(backup_dir):
    """Everything /health looks at reports in: scheduler, bot websocket, a real backup,
    and an RPC endpoint (a real one on loopback) that answered its probe."""
    with RecordingServer(lambda m, p, b: (200, {"jsonrpc": "2.0", "id": 1,
                                                "result": "ok"})) as rpc:
        def make():
            SchedulerHeartbeat.objects.create(name="worker", last_seen_at=timezone.now())
            RpcEndpoint.objects.create(name="primary", url=rpc.url + "/", is_active=True,
                                       last_probe_at=timezone.now(),
                                       healthy_since=timezone.now())
            ingest([ev("ws_status", connected=True)])
            assert backup_run_now(kind="database").status == "succeeded"

        yield make


def test_health_serves_the_refreshed_state_not_a_live_run(client, make_healthy):
    code, body = health_refresh()
    assert body["status"] == "degraded"
    make_healthy()
    assert client.get("/health").json()["status"] == "degraded"  # from memory
    health_memory_clear()
    assert client.get("/health").json()["status"] == "degraded"  # from the stored row
    health_refresh()  # what the background task does every 15 s
    assert client.get("/health").json()["status"] == "healthy"


def test_health_costs_no_query_while_the_state_is_in_memory(client, django_assert_num_queries):
    health_refresh()
    with django_assert_num_queries(0):
        assert client.get("/health").status_code == 200


def test_a_stale_stored_state_is_not_trusted_the_checks_run_live(client, settings,
                                                                  make_healthy):
    health_refresh()
    make_healthy()
    ComponentState.objects.update(checked_at=timezone.now() - datetime.timedelta(minutes=5))
    health_memory_clear()
    body = client.get("/health").json()
    assert body["status"] == "healthy"
    assert all(c["age_seconds"] < 5 for c in body["checks"].values()), body
    # A GET never writes: the stored state stays the refresh task's.
    assert ComponentState.objects.get().status == "degraded"


def test_fresh_runs_live_for_staff_only(client, portal_admin, make_healthy):
    health_refresh()
    make_healthy()
    assert client.get("/health?fresh=1").json()["status"] == "degraded"  # anonymous: ignored
    client.login(request=HttpRequest(), username="boss", password="pw-boss")
    assert client.get("/health?fresh=1").json()["status"] == "healthy"


@pytest.mark.parametrize(("events", "detail"), [
    ([], "no websocket report from the bot in the last 60 s"),
    ([{"connected": False, "ago": 5}], "the bot reported its websocket disconnected"),
    ([{"connected": True, "ago": 61}], "no websocket report from the bot in the last 60 s"),
    ([{"connected": True, "ago": 90}, {"connected": False, "ago": 30}],
     "the bot reported its websocket disconnected"),
])
def test_the_websocket_check_wants_a_connected_report_in_the_last_minute(events, detail):
    now = timezone.now()
    ingest([ev("ws_status", now - datetime.timedelta(seconds=e["ago"]), connected=e["connected"])
            for e in events])
    _, body = health_refresh()
    assert body["checks"]["websocket"] == {**body["checks"]["websocket"], "ok": False,
                                           "critical": False, "detail": detail}


def test_monitor_once_records_a_health_sample_and_a_snapshot(capsys, make_healthy):
    make_healthy()
    ingest([ev("trade", success=False, via="bags")])
    call_command("monitor_once")
    out = capsys.readouterr().out
    assert "health: healthy" in out
    assert "snapshot: 1 trades/h, error rate 1.0" in out
    sample = UptimeSample.objects.get()
    assert sample.up and sample.status == "healthy" and sample.failed_checks == []
    snap = MetricSnapshot.objects.get()
    assert snap.trades_per_hour == 1 and snap.error_rate == 1.0
    assert snap.data["trades_24h"] == 1


def test_a_second_pass_in_the_same_minute_overwrites_the_uptime_sample():
    now = timezone.now().replace(second=5)
    monitor_pass(now=now)
    lines = monitor_pass(now=now.replace(second=40))
    assert lines[0] == "health: degraded (failing: backups, rpc, scheduler, websocket)"
    assert UptimeSample.objects.count() == 1 and MetricSnapshot.objects.count() == 2
    assert UptimeSample.objects.get().up is True


def test_bootstrap_schedules_the_minute_loop_and_the_health_refresh():
    call_command("bootstrap", stdout=io.StringIO())
    tasks = {t.name: t for t in PeriodicTask.objects.all()}
    assert tasks["monitor pass"].task == "opsportal.tasks.monitor_pass"
    assert tasks["monitor pass"].interval.every == 60
    assert tasks["refresh component health"].interval.every == 15
    assert tasks["prune old events"].task == "monitoring.tasks.events_prune"


def test_each_process_probes_the_cache_itself_whatever_the_stored_state_says(
        client, settings, make_healthy):
    from tests.processes import free_port

    make_healthy()
    health_refresh()  # the stored state: healthy, and fresh
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3}}}
    health_memory_clear()
    response = client.get("/health")
    body = response.json()
    assert response.status_code == 503 and body["status"] == "unhealthy"
    assert body["checks"]["cache"]["ok"] is False
    # The other checks come from the stored state, with its age.
    assert body["checks"]["scheduler"]["ok"] is True
    assert all(isinstance(c["age_seconds"], float) for c in body["checks"].values())


@pytest.mark.realclock
def test_a_hung_check_parks_one_thread_and_old_probes_are_never_served(client, settings):
    import threading

    from tests.servers import hanging_tcp_server

    health_refresh()
    settings.HEALTH_PROBE_SECONDS = 0.01  # every request needs a probe of its own
    with hanging_tcp_server() as port:
        settings.CACHES = {"default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 30, "socket_timeout": 30}}}
        health_memory_clear()
        first, second = client.get("/health").json(), client.get("/health").json()
        cache_threads = [t for t in threading.enumerate() if t.name == "health-probe-cache"]
    assert first["checks"]["cache"]["detail"] == "timed out after 0.8 s"
    assert second["checks"]["cache"]["detail"].startswith("no answer for ")
    assert len(cache_threads) == 1
    assert second["timestamp"] > first["timestamp"]  # a new probe, not the old one again


def _call(app, path="/health", method="GET", query="", multithread=False):
    seen = {}

    def start_response(status, headers):
        seen.update(status=status, headers=dict(headers))

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
               "REMOTE_ADDR": "192.0.2.7", "wsgi.multithread": multithread}
    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


def test_web_workers_answer_health_before_django_and_refuse_a_client_over_its_rate(settings):
    import json

    from monitoring.api.health import health_wsgi

    settings.HEALTH_RATE_LIMIT = "2/s"
    passed = []

    def django(environ, start_response):
        passed.append(environ["PATH_INFO"] + "?" + environ["QUERY_STRING"])
        start_response("200 OK", [])
        return [b"django"]

    app = health_wsgi(django)
    health_refresh()
    status, headers, body = _call(app)
    assert status == "200 OK" and json.loads(body)["status"] == "degraded"
    assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"
    status, _, body = _call(app, method="HEAD")
    assert status == "200 OK" and body == b""
    # A sync worker (no threads) cannot afford to make it wait: 429 at once.
    status, headers, body = _call(app)
    assert status == "429 Too Many Requests" and headers["Retry-After"] == "1"
    assert json.loads(body) == {"detail": "Too many requests: retry in 1 seconds."}
    assert passed == []  # Django never saw /health
    assert _call(app, path="/metrics")[2] == b"django"
    assert _call(app, method="POST")[2] == b"django"
    assert passed == ["/metrics?", "/health?"]


def test_staff_fresh_runs_reach_django_after_the_pacing(settings):
    from monitoring.api.health import health_wsgi

    settings.HEALTH_RATE_LIMIT = "1/s"
    seen = []

    def django(environ, start_response):
        seen.append(environ["QUERY_STRING"])
        start_response("200 OK", [])
        return [b"django"]

    app = health_wsgi(django)
    assert _call(app, query="fresh=1")[2] == b"django"
    assert _call(app, query="fresh=1")[0] == "429 Too Many Requests"  # paced like any other
    assert seen == ["fresh=1"]
