"""Database dumps and restores: PostgreSQL through pg_dump/pg_restore, SQLite
through its online backup API. Also the scratch databases restore drills use."""

import dataclasses
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from pathlib import Path

import environ
import psycopg
from psycopg import sql

from backups.services.common import BackupError, Progress

POSTGRES = "postgresql"
SQLITE = "sqlite"


@dataclasses.dataclass(frozen=True)
class DbTarget:
    vendor: str
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""

    @classmethod
    def from_settings(cls, settings_dict: dict) -> "DbTarget":
        engine = settings_dict["ENGINE"]
        if engine.endswith("sqlite3"):
            return cls(SQLITE, str(settings_dict["NAME"]))
        if "postgresql" in engine:
            return cls(POSTGRES, settings_dict["NAME"], settings_dict.get("USER") or "",
                       settings_dict.get("PASSWORD") or "", settings_dict.get("HOST") or "",
                       str(settings_dict.get("PORT") or ""))
        raise BackupError(f"unsupported database engine {engine}")

    @classmethod
    def from_url(cls, url: str) -> "DbTarget":
        try:
            config = environ.Env.db_url_config(url)
        except Exception as exc:  # environ raises bare exceptions on unknown schemes
            raise BackupError(f"cannot read database URL: {exc}") from exc
        return cls.from_settings(config)

    def with_name(self, name: str) -> "DbTarget":
        return dataclasses.replace(self, name=name)

    # -- PostgreSQL connection parameters, never with the password on a command line
    def conninfo(self, dbname: str | None = None) -> str:
        parts = {"dbname": dbname or self.name, "user": self.user, "host": self.host,
                 "port": self.port}
        return psycopg.conninfo.make_conninfo(**{k: v for k, v in parts.items() if v})

    def env(self) -> dict:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def connect(self, dbname: str | None = None, **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.conninfo(dbname), password=self.password or None,
                               connect_timeout=10, **kwargs)

    def display(self) -> str:
        if self.vendor == SQLITE:
            return f"sqlite:{self.name}"
        return f"postgres://{self.user}@{self.host or 'localhost'}:{self.port or 5432}/{self.name}"


# --- PostgreSQL ---------------------------------------------------------------

def pg_client_major(binary: str = "pg_dump") -> int:
    exe = shutil.which(binary)
    if not exe:
        raise BackupError(f"{binary} is not installed (PostgreSQL client tools are needed)")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    if not match:
        raise BackupError(f"cannot read the version of {binary}: {out.strip()}")
    return int(match.group(1))


def pg_table_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Row count of every table outside the system schemas, keyed schema.table."""
    tables = conn.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' "
        "AND table_schema NOT IN ('pg_catalog', 'information_schema') "
        "ORDER BY 1, 2").fetchall()
    counts = {}
    for schema, table in tables:
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema),
                                                             sql.Identifier(table))
        (counts[f"{schema}.{table}"],) = conn.execute(query).fetchone() or (0,)
    return counts


def _wait_with_progress(proc: subprocess.Popen, dest: Path, progress: Progress) -> int:
    while True:
        try:
            return proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            if dest.exists():
                progress.bytes(dest.stat().st_size)


def pg_dump(*, db: DbTarget, dest: Path, progress: Progress) -> dict:
    """pg_dump -Fc into dest; the manifest's row counts come from the very snapshot dumped."""
    client = pg_client_major("pg_dump")
    with db.connect() as conn:
        server = conn.info.server_version // 10000
        if client != server:
            # An older pg_dump refuses (or worse, silently misses objects of) a newer server.
            raise BackupError(f"pg_dump {client} does not match the server's major version "
                              f"{server}: refusing to dump")
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        exported = conn.execute("SELECT pg_export_snapshot()").fetchone()
        if exported is None:
            raise BackupError("PostgreSQL exported no snapshot: refusing to dump")
        snapshot = exported[0]
        counts = pg_table_counts(conn)
        with tempfile.TemporaryFile() as errors:
            proc = subprocess.Popen(
                ["pg_dump", "-Fc", f"--snapshot={snapshot}", "-f", str(dest),
                 "-d", db.conninfo()],
                env=db.env(), stdout=subprocess.DEVNULL, stderr=errors)
            code = _wait_with_progress(proc, dest, progress)
            if code != 0:
                errors.seek(0)
                message = errors.read().decode(errors="replace").strip().splitlines()
                raise BackupError(f"pg_dump exited {code}: {message[-1] if message else ''}")
        conn.rollback()
    progress.bytes(dest.stat().st_size)
    return {"vendor": POSTGRES, "server_major": server, "tables": counts}


def pg_check_archive(*, path: Path, manifest: dict) -> None:
    """pg_restore --list must read the archive's table of contents and find every table."""
    result = subprocess.run(["pg_restore", "--list", str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        raise BackupError(f"pg_restore cannot read the archive: {lines[-1] if lines else ''}")
    toc = set(re.findall(r" TABLE (\S+) (\S+) ", result.stdout))
    missing = [t for t in manifest["tables"] if tuple(t.split(".", 1)) not in toc]
    if missing:
        raise BackupError(f"the archive lacks {len(missing)} tables, e.g. {missing[0]}")


def pg_database_create(*, server: DbTarget, name: str) -> None:
    with server.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def pg_database_exists(*, server: DbTarget, name: str) -> bool:
    with server.connect(autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [name]).fetchone() is not None


def pg_database_drop(*, server: DbTarget, name: str) -> None:
    with server.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


def pg_scratch_name(base: str) -> str:
    return f"{base[:40]}_drill_{uuid.uuid4().hex[:10]}"


def pg_restore(*, archive: Path, target: DbTarget, clean: bool, progress: Progress) -> None:
    """pg_restore into an existing database, one progress line per table's data."""
    cmd = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--verbose",
           "-d", target.conninfo()]
    if clean:
        cmd += ["--clean", "--if-exists"]
    proc = subprocess.Popen([*cmd, str(archive)], env=target.env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    last_lines: list[str] = []
    for line in proc.stderr or ():  # stderr=PIPE: always a stream
        line = line.rstrip()
        last_lines = [*last_lines[-4:], line]
        match = re.search(r'processing data for table "([^"]+)"', line)
        if match:
            progress.line(f"restoring table {match.group(1)}")
    code = proc.wait()
    if code != 0:
        errors = [x for x in last_lines if "error" in x.lower()] or last_lines
        raise BackupError(f"pg_restore exited {code}: {errors[-1] if errors else ''}")


def pg_identity(db: DbTarget) -> tuple[int, int] | None:
    """(the cluster's system identifier, the database's OID), or None if it does not exist.

    The pair names one database whatever address, port, proxy or socket reached it,
    which a host/port/name comparison cannot tell (`localhost`, a second port, a pooler).
    """
    if not pg_database_exists(server=db.with_name("postgres"), name=db.name):
        return None
    try:
        with db.connect() as conn:
            return conn.execute(
                "SELECT (SELECT system_identifier FROM pg_control_system()), "
                "(SELECT oid FROM pg_database WHERE datname = current_database())").fetchone()
    except psycopg.errors.InsufficientPrivilege as exc:
        raise BackupError(f"cannot tell whether {db.display()} is the live database "
                          "(no access to pg_control_system()): pass --force only if you are "
                          "sure") from exc


def pg_counts_of(target: DbTarget) -> dict[str, int]:
    with target.connect() as conn:
        return pg_table_counts(conn)


# --- SQLite -------------------------------------------------------------------

def sqlite_is_same_file(a: Path, b: Path) -> bool:
    """One file, however spelled: symlinks and `..` by real path, hard links by inode."""
    try:
        return os.path.samefile(a, b)
    except FileNotFoundError:  # a file that does not exist yet is no other file
        return Path(os.path.realpath(a)) == Path(os.path.realpath(b))


def is_same_database(a: DbTarget, b: DbTarget) -> bool:
    """Whether a and b are one database: compared by identity, never by spelling."""
    if a.vendor != b.vendor:
        return False
    if a.vendor == SQLITE:
        return sqlite_is_same_file(Path(a.name), Path(b.name))
    mine = pg_identity(a)
    return mine is not None and mine == pg_identity(b)


def _read_only_uri(path: Path) -> str:
    """A read-only SQLite URI; as_uri() percent-encodes the '?' or '#' a name may hold."""
    return f"{Path(path).resolve().as_uri()}?mode=ro"


def sqlite_table_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(_read_only_uri(path), uri=True)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


def sqlite_copy(*, src: Path, dest: Path, progress: Progress, pages: int = 1024) -> None:
    """SQLite's online backup API: a consistent copy even while others write.

    pages=-1 copies in one step under one read lock; stepped copies restart whenever
    another connection writes in between.
    """
    if not Path(src).is_file():
        raise BackupError(f"SQLite database {src} does not exist")
    source = sqlite3.connect(_read_only_uri(src), uri=True, timeout=20)
    target = sqlite3.connect(dest)
    try:
        def report(status, remaining, total):
            progress.line(f"{total - remaining}/{total} pages")

        source.backup(target, pages=pages, progress=report)
        # The copy stays in rollback-journal mode: one self-contained file.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()


def sqlite_dump(*, db: DbTarget, dest: Path, progress: Progress) -> dict:
    sqlite_copy(src=Path(db.name), dest=dest, progress=progress)
    return {"vendor": SQLITE, "tables": sqlite_table_counts(dest)}


def sqlite_integrity(path: Path) -> str:
    """PRAGMA integrity_check's verdict ("ok", or its first complaint)."""
    conn = sqlite3.connect(_read_only_uri(path), uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"not a readable SQLite database: {exc}") from exc
    finally:
        conn.close()


def sqlite_check_archive(*, path: Path, manifest: dict) -> None:
    conn = sqlite3.connect(_read_only_uri(path), uri=True)
    try:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"not a readable SQLite database: {exc}") from exc
    finally:
        conn.close()
    if verdict != "ok":
        raise BackupError(f"SQLite integrity check failed: {verdict}")
    if sqlite_table_counts(path) != manifest["tables"]:
        raise BackupError("SQLite copy's row counts differ from the manifest")
