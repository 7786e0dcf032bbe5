"""Restores and restore drills: only a test restore proves a backup."""

import os
import shutil
import socket
import tempfile
import time
import uuid
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.utils import load_backend
from django.utils import timezone

from backups.models import (
    BackupKind,
    BackupRun,
    BackupStatus,
    DataStore,
    DrillVerdict,
    RestoreDrill,
    RestoreDrillEvent,
)
from backups.selectors import backup_last_success, datastore_last_success
from backups.services import archives, database, stores
from backups.services.common import BackupError, Progress, archive_local, heartbeat, sha256_file
from backups.services.runs import backup_runs_reap_stale, live_database


def _verify_checksum(path: Path, run: BackupRun) -> None:
    _, digest = sha256_file(path)
    if digest != run.sha256:
        raise BackupError(f"checksum mismatch for run {run.pk}: the archive is corrupt or "
                          "was altered")


def _restorable(run: BackupRun) -> None:
    if run.status != BackupStatus.SUCCEEDED:
        raise BackupError(f"backup run {run.pk} is {run.status}, not succeeded")
    if run.pruned_at:
        raise BackupError(f"backup run {run.pk} was pruned by retention")


def _restore_database(*, archive: Path, run: BackupRun, target: database.DbTarget,
                      clean: bool, progress: Progress) -> None:
    vendor = run.manifest.get("vendor")
    if vendor != target.vendor:
        raise BackupError(f"a {vendor} backup cannot be restored into {target.vendor}")
    if vendor == database.POSTGRES:
        database.pg_restore(archive=archive, target=target, clean=clean, progress=progress)
    else:
        database.sqlite_copy(src=archive, dest=Path(target.name), progress=progress)


def _counts(target: database.DbTarget) -> dict[str, int]:
    if target.vendor == database.POSTGRES:
        return database.pg_counts_of(target)
    return database.sqlite_table_counts(Path(target.name))


def _compare_counts(expected: dict[str, int], got: dict[str, int]) -> dict:
    differ = {t: [expected.get(t), got.get(t)] for t in sorted(set(expected) | set(got))
              if expected.get(t) != got.get(t)}
    if differ:
        table, (want, have) = next(iter(differ.items()))
        raise BackupError(f"row counts differ in {len(differ)} table(s), e.g. {table}: "
                          f"expected {want}, got {have}")
    return {"tables": len(expected), "rows": sum(expected.values())}


def _django_check(target: database.DbTarget) -> dict:
    """Django's system checks, its backend checks and its migration state on the restore.

    The connection is built here, not registered in settings.DATABASES: it lives
    only for this check.
    """
    problems = [m for m in checks.run_checks() if m.is_serious()]
    config = dict(connections["default"].settings_dict)
    config["NAME"] = target.name
    conn = load_backend(config["ENGINE"]).DatabaseWrapper(config, f"drill_{uuid.uuid4().hex[:8]}")
    try:
        conn.ensure_connection()
        problems += [m for m in conn.validation.check() if m.is_serious()]
        if problems:
            raise BackupError(f"Django system check failed on the restore: {problems[0]}")
        # Raw SQL: the ORM (and MigrationRecorder) only reach registered aliases.
        with conn.cursor() as cursor:
            if "django_migrations" not in conn.introspection.table_names(cursor):
                raise BackupError("the restore has no Django migration records")
            cursor.execute("SELECT app, name FROM django_migrations")
            applied = set(cursor.fetchall())
        unapplied = [n for n in MigrationLoader(None, ignore_no_migrations=True).graph.nodes
                     if n not in applied]
        if not unapplied:
            # Same code version as the backup: every installed model's table must be there.
            existing = set(conn.introspection.table_names())
            missing = sorted({m._meta.db_table for m in apps.get_models(include_auto_created=True)
                              if m._meta.managed and not m._meta.proxy} - existing)
            if missing:
                raise BackupError(f"the restore lacks {len(missing)} model table(s), "
                                  f"e.g. {missing[0]}")
        return {"checks": "passed", "migrations_applied": len(applied),
                "migrations_unapplied": len(unapplied)}
    finally:
        conn.close()


def _drill_database(*, run: BackupRun, drill: RestoreDrill, progress: Progress) -> dict:
    live = live_database()
    with archive_local(run.storage_name) as archive:
        _verify_checksum(archive, run)
        progress.line("checksum verified")
        if live.vendor == database.POSTGRES:
            scratch = live.with_name(database.pg_scratch_name(live.name))
            drill.scratch = scratch.name
            drill.save(update_fields=["scratch"])
            database.pg_database_create(server=live, name=scratch.name)
            workdir = None
        else:
            workdir = Path(tempfile.mkdtemp(prefix="opsportal-drill-"))
            scratch = live.with_name(str(workdir / "scratch.sqlite3"))
            drill.scratch = scratch.name
            drill.save(update_fields=["scratch"])
        try:
            _restore_database(archive=archive, run=run, target=scratch, clean=False,
                              progress=progress)
            details = _compare_counts(run.manifest.get("tables", {}), _counts(scratch))
            progress.line(f"row counts match in {details['tables']} tables")
            details |= _django_check(scratch)
            return details
        finally:
            if workdir:
                shutil.rmtree(workdir, ignore_errors=True)
            else:
                database.pg_database_drop(server=live, name=scratch.name)


def _drill_wallet_keys(*, run: BackupRun, progress: Progress) -> dict:
    with archive_local(run.storage_name) as archive:
        _verify_checksum(archive, run)
        # Decrypted in memory only; the comparison reports file names, never content.
        contents = archives.wallet_keys_open(path=archive)
    archives.wallet_keys_compare(contents=contents, manifest=run.manifest)
    progress.line(f"{len(contents)} wallet key files match the manifest")
    return {"files": len(contents)}


def _drill_datastore(*, run: BackupRun, drill: RestoreDrill, progress: Progress) -> dict:
    if run.datastore is None:
        raise BackupError(f"data store {run.datastore_name} was deleted")
    with archive_local(run.storage_name) as archive:
        _verify_checksum(archive, run)
        progress.line("checksum verified")
        details = stores.store_drill(store=run.datastore, archive=archive, manifest=run.manifest,
                                     drill=drill, progress=progress,
                                     live_portal=live_database())
    progress.line(f"restore of {run.datastore_name} verified")
    return details


def restore_drill_event_add(*, drill: RestoreDrill, from_verdict: str, to_verdict: str,
                            note: str = "") -> RestoreDrillEvent:
    """One history row of a drill; written only by the change it records."""
    return RestoreDrillEvent.objects.create(drill=drill, from_verdict=from_verdict,
                                            to_verdict=to_verdict, note=note)


def restore_drill_run(*, run: BackupRun | None = None, trigger: str = "command",
                      progress: Progress | None = None,
                      datastore: DataStore | None = None) -> RestoreDrill:
    """Restore the newest (or given) backup into a scratch target, verify, record, drop.

    With `datastore`: the newest successful backup of that store of the bot's.
    """
    progress = progress or Progress()
    backup_runs_reap_stale()
    if run is None:
        run = (datastore_last_success(datastore=datastore) if datastore is not None
               else backup_last_success(kind=BackupKind.DATABASE))
    if run is not None and run.datastore_name:
        datastore = run.datastore
    name = datastore.name if datastore is not None else (run.datastore_name if run else "")
    drill = RestoreDrill.objects.create(run=run, trigger=trigger, host=socket.gethostname(),
                                        pid=os.getpid(), heartbeat_at=timezone.now(),
                                        datastore=datastore, datastore_name=name)
    restore_drill_event_add(drill=drill, from_verdict="", to_verdict=DrillVerdict.RUNNING,
                            note=f"started ({trigger}) on {drill.host}, pid {drill.pid}, "
                                 f"restoring {f'run #{run.pk}' if run else 'nothing'}")
    started = time.monotonic()
    verdict, reason, details = DrillVerdict.PASSED, "", {}
    try:
        if run is None:
            raise BackupError(f"no successful backup of data store {name} to drill" if name
                              else "no successful database backup to drill")
        _restorable(run)
        with heartbeat(model=RestoreDrill, pk=drill.pk, alive={"verdict": DrillVerdict.RUNNING}):
            if run.datastore_name:
                details = _drill_datastore(run=run, drill=drill, progress=progress)
            elif run.kind == BackupKind.DATABASE:
                details = _drill_database(run=run, drill=drill, progress=progress)
            elif run.kind == BackupKind.WALLET_KEYS:
                details = _drill_wallet_keys(run=run, progress=progress)
            else:
                raise BackupError("drills restore database and wallet_keys backups, not "
                                  f"{run.kind}")
    except Exception as exc:  # the verdict records every failure
        verdict, reason = DrillVerdict.FAILED, str(exc).strip().splitlines()[0][:2000]
    duration = time.monotonic() - started
    if verdict == DrillVerdict.PASSED and duration > settings.RESTORE_OBJECTIVE_SECONDS:
        verdict = DrillVerdict.FAILED
        reason = (f"took {duration:.0f} s, over the {settings.RESTORE_OBJECTIVE_SECONDS} s "
                  "recovery objective")
    if RestoreDrill.objects.filter(pk=drill.pk, verdict=DrillVerdict.RUNNING).update(
            verdict=verdict, reason=reason, details=details, duration_seconds=duration,
            finished_at=timezone.now()):
        restore_drill_event_add(drill=drill, from_verdict=DrillVerdict.RUNNING,
                                to_verdict=verdict,
                                note=reason or f"restored and verified in {duration:.1f} s")
    drill.refresh_from_db()
    return drill


def backup_restore(*, run: BackupRun, into: str, force: bool = False,
                   progress: Progress | None = None) -> str:
    """Restore a run: a database into DATABASE_URL, wallet keys into a directory."""
    progress = progress or Progress()
    _restorable(run)
    if run.datastore_name:
        raise BackupError(f"run {run.pk} is a backup of the bot's data store "
                          f"{run.datastore_name}: restore_drill --datastore proves it; "
                          "restoring over the bot's store is done by hand (docs/runbook.md)")
    if run.kind == BackupKind.DATABASE:
        target = database.DbTarget.from_url(into)
        if not force and database.is_same_database(target, live_database()):
            raise BackupError(f"{target.display()} is the live database: refusing to "
                              "overwrite it without --force")
        # Our own connection must not hold the file (SQLite cannot leave WAL mode under
        # it) or a lock that a restore over the live database (--force) has to take.
        connections["default"].close()
        with archive_local(run.storage_name) as archive:
            _verify_checksum(archive, run)
            if target.vendor == database.POSTGRES and not database.pg_database_exists(
                    server=target.with_name("postgres"), name=target.name):
                database.pg_database_create(server=target.with_name("postgres"),
                                            name=target.name)
            _restore_database(archive=archive, run=run, target=target, clean=True,
                              progress=progress)
        details = _compare_counts(run.manifest.get("tables", {}), _counts(target))
        return (f"restored run {run.pk} into {target.display()}: {details['tables']} tables, "
                f"{details['rows']} rows, counts match")
    if run.kind == BackupKind.WALLET_KEYS:
        into_dir = Path(into)
        if not force and archives.within_live_wallet_keys(into_dir):
            raise BackupError(f"{into_dir} is the live WALLET_KEYS_DIR or inside it: refusing "
                              "to overwrite it without --force")
        with archive_local(run.storage_name) as archive:
            _verify_checksum(archive, run)
            contents = archives.wallet_keys_open(path=archive)
        archives.wallet_keys_compare(contents=contents, manifest=run.manifest)
        # A symlink inside the target can lead a member's path into the live keys too.
        leads_in = [n for n in sorted(contents)
                    if archives.within_live_wallet_keys(into_dir / n)]
        if leads_in and not force:
            raise BackupError(f"{into_dir / leads_in[0]} leads into the live WALLET_KEYS_DIR: "
                              "refusing to overwrite it without --force")
        count = archives.wallet_keys_write(contents=contents, into=into_dir)
        return f"restored {count} wallet key files of run {run.pk} into {into_dir}"
    raise BackupError(f"restore handles database and wallet_keys runs; a {run.kind} archive "
                      f"is a plain file in the backup storage: {run.storage_name}")
