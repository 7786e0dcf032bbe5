"""The bot's data stores (issue 18): a real PostgreSQL database, two SQLite files being
written to during their backup, and a wallet folder, each registered, backed up (on its
schedule too), restore-drilled with the RTO measured, and the bad inputs failing whole."""

import io
import json
import socket
import sqlite3
import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from alerting.services.alert_rules import alert_rules_bootstrap
from backups import selectors
from backups.models import BackupRun, BackupStatus, DrillVerdict, RestoreDrill
from backups.services import (
    backups_bootstrap,
    datastore_create,
    datastore_delete,
    datastore_update,
)
from backups.tasks import datastore_backup_scheduled, datastore_drill_scheduled
from opsportal.minute import monitor_pass
from tests.backups.conftest import postgres_reachable

pytestmark = pytest.mark.django_db(transaction=True)

SERVER = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def bot_postgres():
    """The bot's PostgreSQL database, made on 127.0.0.1 for this test and dropped after."""
    if not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    name = f"bot_store_{int(time.time() * 1000) % 10**9}_{threading.get_ident() % 1000}"
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={name}") as conn:
            conn.execute("CREATE TABLE trades (id serial PRIMARY KEY, mint text, qty numeric)")
            conn.execute("CREATE SCHEMA risk")
            conn.execute("CREATE TABLE risk.limits (id int PRIMARY KEY, cap numeric)")
            conn.execute("INSERT INTO trades (mint, qty) SELECT 'm' || g, g FROM "
                         "generate_series(1, 250) g")
            conn.execute("INSERT INTO risk.limits VALUES (1, 10), (2, 20)")
        yield name
    finally:
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Writer:
    """A thread writing to a SQLite file for as long as the test needs: the bot at work."""

    def __init__(self, path: Path, *, wal: bool):
        self.path, self.stop, self.rows = path, threading.Event(), 0
        conn = sqlite3.connect(path)
        if wal:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE fills (id INTEGER PRIMARY KEY, note TEXT)")
        conn.execute("CREATE TABLE positions (id INTEGER PRIMARY KEY, size REAL)")
        conn.executemany("INSERT INTO fills (note) VALUES (?)", [("x" * 200,)] * 2000)
        conn.commit()
        conn.close()
        self.thread = threading.Thread(target=self._write, daemon=True)

    def _write(self):
        conn = sqlite3.connect(self.path, timeout=30)
        while not self.stop.is_set():
            # Two tables in one transaction: a torn copy would show them out of step.
            conn.execute("INSERT INTO fills (note) VALUES (?)", ("y" * 200,))
            conn.execute("INSERT INTO positions (size) VALUES (?)", (1.5,))
            conn.commit()
            self.rows += 1
        conn.close()

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while self.rows < 20:  # it is really writing before the backup starts
            assert time.monotonic() < deadline, "the writer thread never wrote"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)


@pytest.fixture
def wallet_folder(tmp_path) -> Path:
    root = tmp_path / "bot" / "wallets"
    (root / "hot").mkdir(parents=True)
    (root / "hot" / "signer.json").write_text(json.dumps([1, 2, 3]))
    (root / "cold.key").write_bytes(bytes(range(256)))
    return root


def test_postgresql_sqlite_and_a_wallet_folder_are_backed_up_and_drilled_with_rto(
        backup_env, bot_postgres, wallet_folder, tmp_path):
    pg = datastore_create(name="bot-db", kind="postgresql", owner="trading",
                          url=f"postgres://postgres:s3cretPw@127.0.0.1:5432/{bot_postgres}")
    wal_path, journal_path = tmp_path / "bot" / "state.db", tmp_path / "bot" / "cache.sqlite"
    writers = [Writer(wal_path, wal=True), Writer(journal_path, wal=False)]
    state = datastore_create(name="bot-state", kind="sqlite", path=str(wal_path))
    datastore_create(name="bot-cache", kind="sqlite", path=str(journal_path))
    wallet = datastore_create(name="bot-wallets", kind="files", path=str(wallet_folder))
    assert (pg.schedule_seconds, state.schedule_seconds, wallet.schedule_seconds) == (
        6 * 3600, 6 * 3600, 24 * 3600)

    out, err = run("backup", "--datastore", "bot-db")
    pg_run = BackupRun.objects.get(pk=int(out.strip()))
    assert pg_run.status == BackupStatus.SUCCEEDED, pg_run.error
    assert pg_run.datastore == pg and pg_run.encrypted and len(pg_run.sha256) == 64
    assert pg_run.manifest["tables"] == {"public.trades": 250, "risk.limits": 2}
    assert pg_run.storage_name.startswith("datastores/bot-db/")
    assert "bot-db:" in err  # progress on the terminal
    archive = backup_env / "backups" / pg_run.storage_name
    assert archive.is_file() and b"trades" not in archive.read_bytes()  # encrypted

    with writers[0], writers[1]:
        # One through its beat schedule (the task with the stored kwargs), one by hand.
        scheduled = PeriodicTask.objects.get(name="backup datastore bot-state")
        summary = datastore_backup_scheduled.apply(kwargs=json.loads(scheduled.kwargs)).get()
        assert "succeeded" in summary, summary
        run("backup", "--datastore", "bot-cache")
        written_during = [w.rows for w in writers]
    sqlite_runs = [BackupRun.objects.get(datastore_name=n) for n in ("bot-state", "bot-cache")]
    assert [r.trigger for r in sqlite_runs] == ["schedule", "command"]
    for backup in sqlite_runs:
        assert backup.status == BackupStatus.SUCCEEDED, backup.error
        assert backup.manifest["integrity"] == "ok"
        tables = backup.manifest["tables"]
        # One consistent snapshot: both tables of each committed transaction, or neither.
        assert tables["fills"] - 2000 == tables["positions"] > 0
    assert min(written_during) > 20

    files_run = BackupRun.objects.get(pk=int(run("backup", "--datastore", "bot-wallets")[0]))
    assert files_run.status == BackupStatus.SUCCEEDED, files_run.error
    assert set(files_run.manifest["files"]) == {"hot/signer.json", "cold.key"}

    for name, expect in (("bot-db", "row counts match"), ("bot-state", "integrity"),
                         ("bot-cache", "integrity"), ("bot-wallets", "sha256")):
        out, err = run("restore_drill", "--datastore", name)
        drill = RestoreDrill.objects.filter(datastore_name=name).get()
        assert drill.verdict == DrillVerdict.PASSED, drill.reason
        assert drill.duration_seconds > 0 and "passed in" in out
        assert drill.run.datastore_name == name and drill.scratch
        assert "verified" in err and expect in err
    pg_drill = RestoreDrill.objects.get(datastore_name="bot-db")
    assert pg_drill.details["row_counts"] == {"public.trades": 250, "risk.limits": 2}
    with psycopg.connect(SERVER) as conn:  # the scratch database was dropped
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [pg_drill.scratch]).fetchone() is None
    state_drill = RestoreDrill.objects.get(datastore_name="bot-state")
    assert state_drill.details["integrity_check"] == "ok"
    assert not Path(state_drill.scratch).exists()
    assert RestoreDrill.objects.get(datastore_name="bot-wallets").details == {"files": 2}

    # The portal's own backups and drills are not these.
    assert selectors.backup_last_success(kind="database") is None
    assert selectors.restore_drill_last() is None


def test_each_store_has_its_schedules_and_the_scheduled_tasks_back_up_and_drill(
        backup_env, wallet_folder):
    store = datastore_create(name="keys", kind="files", path=str(wallet_folder))
    backup = PeriodicTask.objects.get(name="backup datastore keys")
    drill = PeriodicTask.objects.get(name="restore drill datastore keys")
    assert backup.interval.every == 24 * 3600 and backup.enabled
    assert json.loads(backup.kwargs) == {"name": "keys"}
    assert backup.task == "backups.tasks.datastore_backup_scheduled"
    assert drill.task == "backups.tasks.datastore_drill_scheduled"

    # What beat runs, run as beat would: the task with the stored kwargs.
    summary = datastore_backup_scheduled.apply(kwargs=json.loads(backup.kwargs)).get()
    assert "succeeded" in summary, summary
    assert BackupRun.objects.get(datastore=store).trigger == "schedule"
    summary = datastore_drill_scheduled.apply(kwargs=json.loads(drill.kwargs)).get()
    assert "passed" in summary, summary

    datastore_update(store=store, schedule_seconds=3600, enabled=False)
    backup.refresh_from_db()
    assert backup.interval.every == 3600 and not backup.enabled
    PeriodicTask.objects.filter(name__contains="datastore").delete()
    assert any("data store schedules: 2 for 1 store(s) (2 new)" in line
               for line in backups_bootstrap())
    datastore_delete(store=store)
    assert not PeriodicTask.objects.filter(name__contains="datastore keys").exists()
    assert BackupRun.objects.get(datastore_name="keys").datastore is None  # history stays


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stored_files(backup_env) -> list[str]:
    root = backup_env / "backups"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) \
        if root.exists() else []


@pytest.mark.parametrize("kind,where,reason", [
    ("postgresql", "unreachable", "connection"),
    ("postgresql", "no-such-user", "does not exist"),
    ("sqlite", "missing", "does not exist"),
    ("sqlite", "text", "is not a SQLite database"),
    ("sqlite", "folder", "is not a file"),
    ("files", "missing", "does not exist"),
    ("files", "file", "is a file, not a folder"),
])
def test_bad_stores_fail_with_one_line_an_alert_and_nothing_stored(
        backup_env, tmp_path, caplog, kind, where, reason):
    if kind == "postgresql" and not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 10)
    targets = {
        "unreachable": {"url": f"postgres://bot:pw@127.0.0.1:{_free_port()}/bot"},
        # Trust authentication accepts any password; an unknown role is what it refuses.
        "no-such-user": {"url": "postgres://nobody_here:wrongPw@127.0.0.1:5432/postgres"},
        "missing": {"path": str(tmp_path / "gone")},
        "text": {"path": str(text)},
        "folder": {"path": str(tmp_path)},
        "file": {"path": str(text)},
    }
    alert_rules_bootstrap()
    datastore_create(name="bad", kind=kind, **targets[where])
    with pytest.raises(CommandError) as failed:
        run("backup", "--datastore", "bad")
    backup = BackupRun.objects.get(datastore_name="bad")
    assert backup.status == BackupStatus.FAILED and reason in backup.error
    assert "\n" not in backup.error and backup.error.startswith("data store bad: ")
    assert "wrongPw" not in backup.error and "wrongPw" not in str(failed.value)
    assert f"failed: {backup.error}" in caplog.text and "wrongPw" not in caplog.text
    assert _stored_files(backup_env) == []  # nothing under a final name, nothing staged
    label = "Wallet keys" if kind == "files" else "Database"
    assert f"alert {label} backup failed: firing" in monitor_pass(now=timezone.now())

    with pytest.raises(CommandError, match="no successful backup of data store bad"):
        run("restore_drill", "--datastore", "bad")


def test_unknown_store_is_a_one_line_usage_error(backup_env):
    with pytest.raises(CommandError, match="no data store named 'nope'"):
        run("backup", "--datastore", "nope")
    with pytest.raises(CommandError, match="not both"):
        run("backup", "database", "--datastore", "nope")
    with pytest.raises(CommandError, match="no data store named 'nope'"):
        run("restore_drill", "--datastore", "nope")


def test_restore_refuses_a_store_run_and_backup_needs_a_kind_or_a_store(backup_env,
                                                                      wallet_folder):
    datastore_create(name="keys", kind="files", path=str(wallet_folder))
    store_run = int(run("backup", "--datastore", "keys")[0])
    with pytest.raises(CommandError, match="backup of the bot's data store keys"):
        run("restore", str(store_run), "--into", str(backup_env / "elsewhere"))
    assert not (backup_env / "elsewhere").exists()
    with pytest.raises(CommandError, match="give a kind"):
        run("backup")
