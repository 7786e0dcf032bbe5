import io
import sqlite3
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from backups.models import BackupRun, BackupStatus, DrillVerdict, RestoreDrill
from backups.services import database
from backups.services.common import Progress
from backups.services.drills import _counts
from backups.services.runs import live_database
from tests.processes import ROOT, child_env

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def backup_database() -> BackupRun:
    out, _ = run("backup", "database")
    return BackupRun.objects.get(pk=int(out.strip().splitlines()[-1]))


def archive_path(backup_env, backup: BackupRun):
    return backup_env / "backups" / backup.storage_name


def test_a_database_backup_restores_into_a_scratch_database_with_identical_row_counts(
        backup_env):
    out, err = run("backup", "database")
    backup = BackupRun.objects.get(pk=int(out.strip()))
    assert backup.status == BackupStatus.SUCCEEDED
    assert archive_path(backup_env, backup).is_file()
    assert backup.size_bytes == archive_path(backup_env, backup).stat().st_size
    assert len(backup.sha256) == 64
    assert backup.manifest["tables"]["django_migrations" if connection.vendor == "sqlite"
                                     else "public.django_migrations"] > 0
    assert "database:" in err  # progress on the terminal
    assert list(backup.events.values_list("to_status", flat=True)) == [
        "queued", "running", "succeeded"]

    out, err = run("restore_drill")
    drill = RestoreDrill.objects.get()
    assert drill.verdict == DrillVerdict.PASSED, drill.reason
    assert drill.run == backup and drill.duration_seconds > 0
    assert drill.details["tables"] == len(backup.manifest["tables"])
    assert "passed in" in out and "row counts match" in err
    started, passed = drill.events.all()
    assert (started.to_verdict, passed.from_verdict, passed.to_verdict) == (
        "running", "running", "passed")
    assert f"run #{backup.pk}" in started.note and "restored and verified" in passed.note
    if connection.vendor == "postgresql":
        assert not database.pg_database_exists(server=live_database(), name=drill.scratch)


def test_restore_into_another_database_gives_identical_row_counts(backup_env,
                                                                   scratch_postgres):
    backup = backup_database()
    if connection.vendor == "sqlite":
        target = database.DbTarget("sqlite", str(backup_env / "restored.sqlite3"))
        url = f"sqlite:///{target.name}"
    else:
        target = scratch_postgres()
        url = f"postgres://{target.user}@{target.host}:{target.port or 5432}/{target.name}"
    out, _ = run("restore", str(backup.pk), "--into", url)
    assert "counts match" in out
    assert _counts(target) == backup.manifest["tables"]


def test_a_corrupted_archive_fails_its_drill(backup_env):
    backup = backup_database()
    path = archive_path(backup_env, backup)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CommandError) as exc:
        run("restore_drill", "--run", str(backup.pk))
    assert exc.value.returncode == 1
    drill = RestoreDrill.objects.get()
    assert drill.verdict == DrillVerdict.FAILED and "checksum mismatch" in drill.reason


def test_a_damaged_archive_with_a_matching_checksum_still_fails_its_drill(backup_env):
    backup = backup_database()
    path = archive_path(backup_env, backup)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    from backups.services.common import sha256_file
    BackupRun.objects.filter(pk=backup.pk).update(sha256=sha256_file(path)[1])
    with pytest.raises(CommandError):
        run("restore_drill")
    drill = RestoreDrill.objects.get()
    assert drill.verdict == DrillVerdict.FAILED and drill.reason
    assert "checksum" not in drill.reason


def test_an_unwritable_backup_dir_records_a_failed_run(backup_env, settings):
    blocker = backup_env / "not-a-dir"
    blocker.write_text("a file where the backup directory should be")
    settings.STORAGES = {**settings.STORAGES, "backups": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(blocker / "backups")}}}
    with pytest.raises(CommandError) as exc:
        run("backup", "database")
    assert exc.value.returncode == 1 and "\n" not in str(exc.value)
    failed = BackupRun.objects.get()
    assert failed.status == BackupStatus.FAILED and failed.error
    assert failed.finished_at and not failed.sha256 and not failed.storage_name


def test_a_run_left_running_by_a_killed_process_is_marked_failed_by_the_next(
        backup_env, tmp_path):
    # A real process claims a run and is SIGKILLed mid-way, as the OOM killer would.
    script = (
        "import os, signal, django; django.setup()\n"
        "from backups.services import backup_run_create\n"
        "from backups.services.runs import backup_run_transition\n"
        "from django.utils import timezone\n"
        "run = backup_run_create(kind='database', trigger='command')\n"
        "backup_run_transition(run=run, to='running', started_at=timezone.now(),"
        " host=__import__('socket').gethostname(), pid=os.getpid())\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=child_env(tmp_path),
                          capture_output=True, timeout=60)
    assert proc.returncode == -9, proc.stderr.decode()
    killed = BackupRun.objects.get()
    assert killed.status == BackupStatus.RUNNING

    backup = backup_database()
    killed.refresh_from_db()
    assert backup.status == BackupStatus.SUCCEEDED
    assert killed.status == BackupStatus.FAILED and "is gone" in killed.error
    assert killed.events.last().to_status == "failed"


def test_bad_input_is_a_one_line_error_and_a_non_zero_exit(backup_env):
    for args in (["backup", "nope"], ["restore", "999", "--into", "sqlite:///x.db"],
                 ["restore_drill", "--run", "999"]):
        with pytest.raises(CommandError) as exc:
            run(*args)
        assert exc.value.returncode != 0 and "\n" not in str(exc.value)
    assert "unknown backup kind 'nope'" in str(
        pytest.raises(CommandError, run, "backup", "nope").value)

    backup = backup_database()
    live = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{live['NAME']}"
    else:
        url = f"postgres://{live['USER']}@{live['HOST'] or '127.0.0.1'}:5432/{live['NAME']}"
    with pytest.raises(CommandError) as exc:
        run("restore", str(backup.pk), "--into", url)
    assert "live database" in str(exc.value) and "--force" in str(exc.value)


def test_a_drill_without_any_backup_fails_with_a_reason(backup_env):
    with pytest.raises(CommandError) as exc:
        run("restore_drill")
    assert "no successful database backup" in str(exc.value)
    drill = RestoreDrill.objects.get()
    assert drill.verdict == DrillVerdict.FAILED
    assert [(e.from_verdict, e.to_verdict) for e in drill.events.all()] == [
        ("", "running"), ("running", "failed")]
    assert "no successful database backup" in drill.events.last().note


def test_a_drill_over_the_recovery_objective_fails(backup_env, settings):
    backup_database()
    settings.RESTORE_OBJECTIVE_SECONDS = 0
    with pytest.raises(CommandError):
        run("restore_drill")
    assert "recovery objective" in RestoreDrill.objects.get().reason


# --- PostgreSQL's own path, on a scratch database even when the default is SQLite ---

def test_pg_dump_restores_a_scratch_database_with_identical_row_counts(
        scratch_postgres, tmp_path):
    source = scratch_postgres()
    with source.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE trades (id serial primary key, note text)")
        conn.execute("INSERT INTO trades (note) SELECT 'n' || g FROM generate_series(1, 500) g")
        conn.execute("CREATE SCHEMA other")
        conn.execute("CREATE TABLE other.fees AS SELECT g AS id FROM generate_series(1, 7) g")
    lines = io.StringIO()
    dump = tmp_path / "db.dump"
    manifest = database.pg_dump(db=source, dest=dump, progress=Progress(lines))
    assert manifest["tables"] == {"public.trades": 500, "other.fees": 7}
    database.pg_check_archive(path=dump, manifest=manifest)
    target = scratch_postgres()
    database.pg_restore(archive=dump, target=target, clean=False, progress=Progress(lines))
    assert database.pg_counts_of(target) == manifest["tables"]
    assert "restoring table public.trades" in lines.getvalue()


def test_pg_dump_of_another_major_version_is_refused(scratch_postgres, tmp_path,
                                                     monkeypatch):
    source = scratch_postgres()
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    with pytest.raises(database.BackupError, match="does not match the server"):
        database.pg_dump(db=source, dest=tmp_path / "x.dump", progress=Progress())
    assert not (tmp_path / "x.dump").exists()


def test_a_sqlite_copy_is_consistent_and_passes_integrity_check(tmp_path):
    src = tmp_path / "src.sqlite3"
    conn = sqlite3.connect(src)
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(300)])
    conn.commit()
    conn.close()
    manifest = database.sqlite_dump(db=database.DbTarget("sqlite", str(src)),
                                    dest=tmp_path / "copy.sqlite3", progress=Progress())
    assert manifest["tables"] == {"t": 300}
    database.sqlite_check_archive(path=tmp_path / "copy.sqlite3", manifest=manifest)


def test_the_commands_exit_non_zero_with_one_line_on_bad_input(tmp_path):
    env = child_env(tmp_path)
    for args, code in ((["backup", "nope"], 2), (["restore_drill", "--run", "999"], 2),
                       (["restore", "999", "--into", "sqlite:///x.db"], 2)):
        proc = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == code, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert proc.stderr.startswith("CommandError: ")
