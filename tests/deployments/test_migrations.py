"""Every migration reverses: each app to zero and back, in a scratch database."""

import subprocess

import psycopg
import pytest
from django.db import connection

from tests.deployments.helpers import PYTHON, ROOT, clean_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

ROUND_TRIP = """
import django
django.setup()
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

call_command("migrate", verbosity=0)
labels = sorted({app for app, _ in MigrationLoader(connection).graph.leaf_nodes()})
for label in labels:
    call_command("migrate", label, "zero", verbosity=0)
    call_command("migrate", verbosity=0)
    print("round-trip", label, flush=True)
"""


def round_trip(database_url):
    return subprocess.run(
        [PYTHON, "-c", ROUND_TRIP], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env=clean_env(DATABASE_URL=database_url, DEBUG=0,
                      DJANGO_SETTINGS_MODULE="opsportal.settings",
                      SECRET_KEY="test-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"))


def _expect_every_app(result):
    assert result.returncode == 0, result.stderr[-3000:]
    done = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("round")}
    assert {"accounts", "backups", "monitoring", "alerting", "incidents", "checklist",
            "deployments", "common", "django_celery_beat"} <= done


def test_every_app_migrates_to_zero_and_back_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL (DATABASE_URL=postgres://...)")
    s = connection.settings_dict
    name = f"{s['NAME']}_roundtrip"[:63]
    admin = f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        _expect_every_app(round_trip(admin.rsplit("/", 1)[0] + f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_every_app_migrates_to_zero_and_back_on_sqlite(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL suite round-trips on PostgreSQL")
    _expect_every_app(round_trip(f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"))
