import os
import time

import pytest
from django.utils import timezone
from health_check.checks import Cache

from backups.services.runs import backup_run_now
from monitoring.health import Component, components
from monitoring.models import RpcEndpoint, SchedulerHeartbeat
from monitoring.services.health import health_evaluate
from tests.monitoring.events import ev, ingest
from tests.servers import hanging_tcp_server

pytestmark = pytest.mark.django_db(transaction=True)


def test_health_has_the_contract_shape_and_is_degraded_before_the_scheduler_runs(client):
    response = client.get("/health")
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"status", "timestamp", "version", "checks"}
    assert body["status"] == "degraded"
    for name in ("database", "cache", "storage"):
        assert body["checks"][name]["ok"] is True
        assert body["checks"][name]["critical"] is True
    scheduler = body["checks"]["scheduler"]
    assert scheduler == {**scheduler, "ok": False, "critical": False, "detail": (
        "the scheduler has not run yet (no beat has held the scheduler lease yet)")}
    assert isinstance(scheduler["duration_ms"], float)


def test_health_is_healthy_once_the_scheduler_the_bot_and_a_backup_report_in(
        client, backup_dir, viewer):
    SchedulerHeartbeat.objects.create(name="worker", last_seen_at=timezone.now())
    RpcEndpoint.objects.create(name="primary", url="https://rpc.example.com/", is_active=True,
                               last_probe_at=timezone.now(), healthy_since=timezone.now())
    ingest([ev("ws_status", connected=True)])
    client.force_login(viewer)  # ?fresh=1 runs the checks live for staff
    body = client.get("/health?fresh=1").json()
    assert body["checks"]["backups"] == {**body["checks"]["backups"], "ok": False,
                                         "critical": False,
                                         "detail": "no successful database backup yet"}
    assert body["status"] == "degraded"
    assert backup_run_now(kind="database").status == "succeeded"
    body = client.get("/health?fresh=1").json()
    assert body["status"] == "healthy", body
    assert set(body["checks"]) >= {"database", "cache", "storage", "scheduler", "websocket",
                                   "heartbeats", "backups"}


def test_no_rpc_endpoint_configured_is_a_failing_check_not_a_pass(client, viewer):
    client.force_login(viewer)
    body = client.get("/health?fresh=1").json()
    assert body["checks"]["rpc"] == {**body["checks"]["rpc"], "ok": False, "critical": False,
                                     "detail": "no endpoint configured"}
    assert body["status"] != "healthy"


def test_an_unwritable_backup_dir_makes_the_portal_unhealthy(client, settings, tmp_path):
    target = tmp_path / "ro"
    target.mkdir()
    os.chmod(target, 0o500)
    settings.BACKUP_DIR = str(target / "backups")
    try:
        if os.access(target, os.W_OK):  # root ignores permissions: use a file as parent
            settings.BACKUP_DIR = str(tmp_path / "file-not-dir" / "backups")
            (tmp_path / "file-not-dir").write_text("x")
        response = client.get("/health")
    finally:
        os.chmod(target, 0o700)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["storage"]["ok"] is False
    assert "not writable" in body["checks"]["storage"]["detail"]


@pytest.mark.realclock
def test_health_answers_within_a_second_when_a_dependency_hangs(settings):
    with hanging_tcp_server() as port:
        settings.CACHES = {**settings.CACHES, "hung": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_timeout": 30, "socket_connect_timeout": 30},
        }}
        checks = [*components(), Component("hung-cache", Cache(alias="hung"), critical=True)]
        started = time.monotonic()
        code, body = health_evaluate(checks=checks)
        elapsed = time.monotonic() - started
    assert elapsed < 1.0
    assert code == 503
    assert body["checks"]["hung-cache"]["ok"] is False
    assert "timed out" in body["checks"]["hung-cache"]["detail"]
    assert body["checks"]["database"]["ok"] is True


def _broker(settings, url: str, **options) -> dict:
    settings.CELERY_BROKER_URL = url
    if options:
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = options
    started = time.monotonic()
    code, body = health_evaluate(checks=[c for c in components() if c.name == "broker"])
    check = body["checks"]["broker"]
    return {**check, "code": code, "elapsed": time.monotonic() - started}


def test_the_broker_check_takes_the_embedded_broker_and_refuses_an_unwritable_folder(
        settings, tmp_path):
    assert settings.CELERY_BROKER_URL.startswith("filesystem://")
    assert _broker(settings, "filesystem://")["ok"] is True
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    check = _broker(settings, "filesystem://", data_folder_in=str(blocker / "queue"),
                    data_folder_out=str(blocker / "queue"))
    assert check["ok"] is False and check["critical"] is True and check["code"] == 503
    assert "broker folder data_folder_in not writable" in check["detail"]


def test_the_broker_check_fails_in_time_on_a_refusing_or_hanging_redis(settings):
    from tests.processes import free_port

    refused = _broker(settings, f"redis://127.0.0.1:{free_port()}/0")
    assert refused["ok"] is False and "Unable to connect to Redis" in refused["detail"]
    with hanging_tcp_server() as port:
        hung = _broker(settings, f"redis://127.0.0.1:{port}/0")
    assert hung["ok"] is False and hung["elapsed"] < 1.0, hung


def test_the_broker_check_pings_a_real_redis(settings):
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    assert _broker(settings, "redis://127.0.0.1:6379/13")["ok"] is True
