"""`restore --into` refuses the live database and the live wallet keys however they are spelled.

The database tests run the real commands in child processes whose portal has its own
live database (a scratch PostgreSQL database or a SQLite file), so the live data a
refused restore must leave untouched is theirs, whatever database the suite runs on.
"""

import hashlib
import io
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from backups.services import backup_run_now
from backups.services.database import DbTarget, pg_database_drop, pg_scratch_name
from tests.fault_proxy import FaultProxy
from tests.processes import ROOT, child_env

MARKER = "written after the backup"


def manage(env: dict, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def assert_refused(proc: subprocess.CompletedProcess, spelling: str) -> None:
    assert proc.returncode == 1, (spelling, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("CommandError: "), (spelling, proc.stderr)
    assert "is the live database" in lines[0] and "--force" in lines[0], (spelling, lines)


def pg_url(db: DbTarget, host: str, port: int | str | None = None, name: str = "") -> str:
    return f"postgres://{db.user}@{host}:{port or db.port or 5432}/{name or db.name}"


def pg_marker_present(db: DbTarget) -> bool:
    with db.connect() as conn:
        return conn.execute("SELECT count(*) FROM auth_group WHERE name = %s",
                            [MARKER]).fetchone()[0] == 1


def _answers_postgres(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def live_postgres(scratch_postgres, tmp_path):
    """A migrated PostgreSQL database a child portal runs on, with one database backup."""
    db = scratch_postgres()
    env = child_env(tmp_path, DATABASE_URL=pg_url(db, db.host or "127.0.0.1"),
                    BACKUP_DIR=tmp_path / "backups")
    manage(env, "migrate", "--noinput", "-v0", check=True)
    run_id = manage(env, "backup", "database", check=True).stdout.strip().splitlines()[-1]
    with db.connect(autocommit=True) as conn:
        conn.execute("INSERT INTO auth_group (name) VALUES (%s)", [MARKER])
    return db, env, run_id


@pytest.mark.slow
def test_a_restore_into_the_live_postgres_database_is_refused_however_it_is_spelled(
        live_postgres, scratch_postgres):
    db, env, run_id = live_postgres
    port = int(db.port or 5432)
    with FaultProxy(port, upstream_host=db.host or "127.0.0.1") as proxy:
        spellings = [pg_url(db, "localhost"), pg_url(db, "127.0.0.1"),
                     # a second port in front of the same server (a proxy, a pooler)
                     pg_url(db, "127.0.0.1", proxy.port), pg_url(db, "localhost", proxy.port)]
        host = socket.gethostname()
        if _answers_postgres(host, port):
            spellings.append(pg_url(db, host))  # the machine's own name
        if Path(f"/var/run/postgresql/.s.PGSQL.{port}").exists():
            spellings.append(f"postgres://{db.user}@//var/run/postgresql/{db.name}")
        for spelling in spellings:
            assert_refused(manage(env, "restore", run_id, "--into", spelling), spelling)
            assert pg_marker_present(db), f"{spelling} overwrote the live database"

        # Other databases on the same server, through the same proxy, are not the live one.
        other = scratch_postgres()
        proc = manage(env, "restore", run_id, "--into", pg_url(other, "127.0.0.1", proxy.port))
        assert proc.returncode == 0 and "counts match" in proc.stdout, proc.stderr
        new_name = pg_scratch_name("ops_test_new")
        try:
            proc = manage(env, "restore", run_id, "--into",
                          pg_url(db, "localhost", proxy.port, name=new_name))
            assert proc.returncode == 0 and "counts match" in proc.stdout, proc.stderr
        finally:
            pg_database_drop(server=db.with_name("postgres"), name=new_name)

        # --force is still the operator's way to restore over the live database.
        proc = manage(env, "restore", run_id, "--into", pg_url(db, "127.0.0.1", proxy.port),
                      "--force")
        assert proc.returncode == 0 and "counts match" in proc.stdout, proc.stderr
    assert not pg_marker_present(db)


def sqlite_marker_present(path: Path) -> bool:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM auth_group WHERE name = ?",
                            [MARKER]).fetchone()[0] == 1
    finally:
        conn.close()


@pytest.mark.slow
def test_a_restore_into_the_live_sqlite_database_is_refused_however_it_is_spelled(tmp_path):
    live = tmp_path / "live" / "portal.sqlite3"
    live.parent.mkdir()
    env = child_env(tmp_path, DATABASE_URL=f"sqlite:///{live}", BACKUP_DIR=tmp_path / "backups")
    manage(env, "migrate", "--noinput", "-v0", check=True)
    run_id = manage(env, "backup", "database", check=True).stdout.strip().splitlines()[-1]
    conn = sqlite3.connect(live)
    with conn:
        conn.execute("INSERT INTO auth_group (name) VALUES (?)", [MARKER])
    conn.close()
    (tmp_path / "dir-link").symlink_to(live.parent)
    (tmp_path / "file-link.sqlite3").symlink_to(live)
    os.link(live, tmp_path / "hard-link.sqlite3")
    spellings = [live, tmp_path / "live" / ".." / "live" / "portal.sqlite3",
                 tmp_path / "dir-link" / "portal.sqlite3", tmp_path / "file-link.sqlite3",
                 tmp_path / "hard-link.sqlite3"]
    for spelling in spellings:
        assert_refused(manage(env, "restore", run_id, "--into", f"sqlite:///{spelling}"),
                       str(spelling))
        assert sqlite_marker_present(live), f"{spelling} overwrote the live database"

    other = tmp_path / "other.sqlite3"
    proc = manage(env, "restore", run_id, "--into", f"sqlite:///{other}")
    assert proc.returncode == 0 and "counts match" in proc.stdout, proc.stderr
    proc = manage(env, "restore", run_id, "--into", f"sqlite:///{spellings[1]}", "--force")
    assert proc.returncode == 0 and "counts match" in proc.stdout, proc.stderr
    assert not sqlite_marker_present(live)


# --- Wallet keys: the live WALLET_KEYS_DIR, anything inside it, any other name for it ----

def tree(root: Path) -> dict:
    """Every entry under root with its content hash and mtime: 'untouched' means equal."""
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest()
                                       if p.is_file() else "dir", p.lstat().st_mtime_ns)
            for p in sorted(root.rglob("*"))}


@pytest.mark.django_db
def test_a_wallet_key_restore_into_the_live_keys_directory_is_refused_however_it_is_spelled(
        backup_env, settings):
    live = Path(settings.WALLET_KEYS_DIR)
    (live / "hot").mkdir(parents=True)
    (live / "hot" / "trader.json").write_bytes(b'{"secret_key": "live"}')
    (live / "fee-payer.key").write_bytes(os.urandom(64))
    run = backup_run_now(kind="wallet_keys")
    assert run.status == "succeeded", run.error
    # The live keys change after the backup: a restore over them would lose this.
    (live / "hot" / "trader.json").write_bytes(b'{"secret_key": "rotated after the backup"}')
    before = tree(live)

    (backup_env / "keys-link").symlink_to(live)
    decoy = backup_env / "decoy"
    decoy.mkdir()
    (decoy / "hot").symlink_to(live / "hot")  # a member's path leads into the live keys
    spellings = [live, live / "hot", live / "new-folder", live / "hot" / "deeper",
                 backup_env / "keys-link", backup_env / "keys-link" / "hot",
                 backup_env / "elsewhere" / ".." / live.name, decoy]
    for spelling in spellings:
        with pytest.raises(CommandError) as exc:
            call_command("restore", str(run.pk), "--into", str(spelling),
                         stdout=io.StringIO(), stderr=io.StringIO())
        message = str(exc.value)
        assert exc.value.returncode == 1 and "\n" not in message, (spelling, message)
        assert "live WALLET_KEYS_DIR" in message and "--force" in message, (spelling, message)
        assert tree(live) == before, f"{spelling} changed the live wallet keys"
    assert not (live / "new-folder").exists() and not (live / "hot" / "deeper").exists()

    out = io.StringIO()
    call_command("restore", str(run.pk), "--into", str(backup_env / "restored"), stdout=out)
    assert "restored 2 wallet key files" in out.getvalue()
    call_command("restore", str(run.pk), "--into", str(live / "hot"), "--force",
                 stdout=io.StringIO())
    assert (live / "hot" / "hot" / "trader.json").read_bytes() == b'{"secret_key": "live"}'
