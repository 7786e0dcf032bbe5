"""`manage.py preflight` in a real process with a production-shaped environment."""

import subprocess

import pytest
from django.db import connection

from deployments.models import PreflightRun
from monitoring.services.health import scheduler_heartbeat_record
from tests import processes
from tests.deployments.helpers import PYTHON, ROOT, clean_env, production_example_env
from tests.processes import free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def preflight(env, *args):
    return subprocess.run([PYTHON, "manage.py", "preflight", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def rows(output):
    """{check: (STATUS, detail)} from the printed table."""
    table = {}
    for line in output.splitlines()[2:]:
        parts = [p for p in line.split("  ") if p.strip()]
        if len(parts) >= 2 and parts[1].strip() in {"PASS", "FAIL", "SKIP"}:
            table[parts[0].strip()] = (parts[1].strip(), "  ".join(parts[2:]).strip())
    return table


@pytest.fixture
def prod_env(tmp_path, redis_port, settings):
    values = production_example_env()
    # Rows this process writes (channel and RPC URLs) must decrypt in the preflight's.
    settings.FIELD_ENCRYPTION_KEYS = [values["FIELD_ENCRYPTION_KEY"]]
    values.update(
        DATABASE_URL=processes.test_database_url(), CELERY_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0",
        CACHE_URL=f"redis://127.0.0.1:{redis_port}/1", BACKUP_DIR=tmp_path / "backups",
        WALLET_KEYS_DIR=tmp_path / "wallet", LOG_DIR=tmp_path / "log",
        STATIC_ROOT=tmp_path / "static", DOCS_SITE_DIR=tmp_path / "site",
        ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    return values


def test_it_passes_on_a_ready_deployment_and_records_the_run(prod_env):
    if connection.vendor == "sqlite":
        pytest.skip("production means PostgreSQL: on SQLite check --deploy warns opsportal.W001")
    from django.core.management import call_command

    from alerting.models import NotificationChannel
    from monitoring.models import RpcEndpoint
    from tests.servers import RecordingServer

    scheduler_heartbeat_record()
    call_command("bootstrap", verbosity=0)  # the plan's alert rules
    rpc = RecordingServer(respond=lambda m, p, b: (200, {"jsonrpc": "2.0", "id": 1,
                                                         "result": "ok"}))
    with rpc:
        host = rpc.url.removeprefix("http://")
        NotificationChannel.objects.create(name="ops webhook", url=f"json://{host}/hook")
        RpcEndpoint.objects.create(name="main", url=f"{rpc.url}/", priority=0)
        result = preflight(clean_env(**prod_env))
    assert result.returncode == 0, result.stdout + result.stderr
    assert rpc.requests and rpc.requests[0]["body"]["method"] == "getHealth"
    table = rows(result.stdout)
    assert all(status in {"PASS", "SKIP"} for status, _ in table.values()), table
    assert table["migrations"][0] == "PASS" and table["scheduler (beat)"][0] == "PASS"
    run = PreflightRun.objects.get()
    assert run.ok and len(run.results) == len(table)


def test_it_fails_clearly_when_a_required_variable_is_missing(prod_env):
    scheduler_heartbeat_record()
    del prod_env["BACKUP_ENCRYPTION_KEY"]
    result = preflight(clean_env(**prod_env))
    assert result.returncode == 1
    table = rows(result.stdout)
    assert table["environment variables"] == ("FAIL", "missing: BACKUP_ENCRYPTION_KEY")
    assert table["secrets"][0] == "FAIL"
    assert "preflight FAILED: environment variables, secrets" in result.stderr
    run = PreflightRun.objects.get()
    assert not run.ok and "environment variables" in run.failed_checks


def test_it_fails_clearly_when_the_database_refuses_connections(prod_env):
    prod_env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{free_port()}/gone"
    result = preflight(clean_env(**{**prod_env, "DB_CONNECT_TIMEOUT": 1}))
    assert result.returncode == 1
    table = rows(result.stdout)
    assert table["database"][0] == "FAIL" and "refused" in table["database"][1].lower()
    assert table["migrations"][0] == "FAIL"
    assert "not recorded" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_it_fails_when_migrations_are_unapplied_or_beat_is_silent(prod_env):
    from django.core.management import call_command

    call_command("migrate", "deployments", "zero", verbosity=0)
    try:
        result = preflight(clean_env(**prod_env))
    finally:
        call_command("migrate", "deployments", verbosity=0)
    table = rows(result.stdout)
    assert result.returncode == 1
    assert table["migrations"][0] == "FAIL" and "deployments.0001_initial" in table["migrations"][1]
    assert table["scheduler (beat)"] == ("FAIL", "beat and worker have never run the heartbeat "
                                                 "task")


def test_it_fails_when_a_channel_or_rpc_endpoint_is_unreachable(prod_env):
    from alerting.models import NotificationChannel
    from monitoring.models import RpcEndpoint

    scheduler_heartbeat_record()
    NotificationChannel.objects.create(name="dead hook", url=f"json://127.0.0.1:{free_port()}/x")
    RpcEndpoint.objects.create(name="dead rpc", url=f"http://127.0.0.1:{free_port()}/", priority=0)
    result = preflight(clean_env(**prod_env, OUTBOUND_TIMEOUT_SECONDS=2))
    assert result.returncode == 1
    table = rows(result.stdout)
    assert table["notification channels"][0] == "FAIL" and "dead hook" in table[
        "notification channels"][1]
    assert table["rpc endpoints"][0] == "FAIL" and "dead rpc" in table["rpc endpoints"][1]
    assert table["alert rules"] == ("FAIL", "no alert rule is enabled (run bootstrap)")
