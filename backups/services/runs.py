"""A backup run's life: queued -> running -> succeeded | failed, nothing else."""

import datetime
import logging
import os
import socket
from pathlib import Path

import psutil
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from backups.models import (
    BackupKind,
    BackupRun,
    BackupRunEvent,
    BackupStatus,
    DataStore,
    DataStoreKind,
    DrillVerdict,
    RestoreDrill,
    RestoreDrillEvent,
)
from backups.services import archives, database, stores
from backups.services.common import (
    BackupError,
    Progress,
    backup_storage,
    fsync_file,
    heartbeat,
    publish,
    sha256_file,
    staging_leftovers_remove,
    staging_path,
    staging_remove,
    storage_delete,
)

logger = logging.getLogger(__name__)

TRANSITIONS: dict[str, set[str]] = {
    BackupStatus.QUEUED: {BackupStatus.RUNNING, BackupStatus.FAILED},
    BackupStatus.RUNNING: {BackupStatus.SUCCEEDED, BackupStatus.FAILED},
}


def backup_kind_validate(kind: str) -> str:
    if kind not in BackupKind.values:
        raise BackupError(f"unknown backup kind '{kind}'; expected one of "
                          f"{', '.join(BackupKind.values)}")
    return kind


def datastore_backup_kind(store: DataStore) -> str:
    """The run kind a store's backups count under: its failures raise that kind's alert."""
    return BackupKind.WALLET_KEYS if store.kind == DataStoreKind.FILES else BackupKind.DATABASE


def backup_run_create(*, kind: str | None = None, trigger: str = "manual",
                      datastore: DataStore | None = None) -> BackupRun:
    """A queued run of a known kind (or of a data store), with its first history record."""
    if datastore is not None:
        kind = datastore_backup_kind(datastore)
    kind = backup_kind_validate(kind or "")
    run = BackupRun(kind=kind, trigger=trigger, datastore=datastore,
                    datastore_name=datastore.name if datastore else "")
    run.full_clean()
    with transaction.atomic():
        run.save()
        BackupRunEvent.objects.create(run=run, to_status=BackupStatus.QUEUED, note=trigger)
    return run


def backup_run_transition(*, run: BackupRun, to: str, note: str = "", **fields) -> bool:
    """Move run to `to` if nobody moved it first (conditional UPDATE); False if lost the race."""
    if to not in TRANSITIONS.get(run.status, set()):
        raise BackupError(f"backup run {run.pk} cannot go from {run.status} to {to}")
    with transaction.atomic():
        claimed = BackupRun.objects.filter(pk=run.pk, status=run.status).update(
            status=to, **fields)
        if claimed != 1:
            return False
        BackupRunEvent.objects.create(run=run, from_status=run.status, to_status=to,
                                      note=note[:2000])
    run.status = to
    for key, value in fields.items():
        setattr(run, key, value)
    return True


def _process_alive(pid: int | None, since: datetime.datetime) -> bool:
    if not pid:
        return False
    try:
        process = psutil.Process(pid)
        # A recycled pid belongs to a process started after our run began; a zombie
        # (killed, not yet waited for by its parent) is dead.
        return process.create_time() <= since.timestamp() + 1 \
            and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _stale_reason(obj, *, status: str, started: datetime.datetime, now) -> str:
    """Why a queued or running run (or drill) is dead, or "" while it may still be working.

    Running: its process is gone (same host: pid checked), or its heartbeat has been
    silent for BACKUP_HEARTBEAT_TIMEOUT_SECONDS (any host). A slow run keeps beating,
    so only BACKUP_RUN_TIMEOUT_SECONDS ends it.
    """
    timeout = datetime.timedelta(seconds=settings.BACKUP_RUN_TIMEOUT_SECONDS)
    if now - started > timeout:
        return f"still {status} after {int(timeout.total_seconds())} s: taken for dead"
    if status != "running":
        return ""
    if obj.host == socket.gethostname() and obj.pid != os.getpid() \
            and not _process_alive(obj.pid, started):
        return f"its process {obj.pid} on {obj.host} is gone (killed or crashed)"
    silent = (now - (obj.heartbeat_at or started)).total_seconds()
    if silent > settings.BACKUP_HEARTBEAT_TIMEOUT_SECONDS:
        return (f"no heartbeat from process {obj.pid} on {obj.host or '?'} for {silent:.0f} s "
                "(killed, crashed or its host is down)")
    return ""


def archive_name(run: BackupRun) -> str:
    """The storage name of a claimed run's archive (its staged file is named after it)."""
    if run.datastore_name:
        # Whatever the store's kind: the reaper rebuilds this name after a store is gone.
        return (f"datastores/{run.datastore_name}/{run.datastore_name}-"
                f"{run.started_at:%Y%m%dT%H%M%SZ}-{run.pk}.fernet")
    return (f"{run.kind}/{run.kind}-{run.started_at:%Y%m%dT%H%M%SZ}-{run.pk}"
            f"{_extension(run.kind)}")


def _drop_partial(run: BackupRun) -> str:
    """A dead run's staged file, and an archive it published but never recorded."""
    if run.started_at is None:
        return ""  # never claimed: nothing written
    name = archive_name(run)
    removed = staging_remove(name)
    # A failed run has no archive: one published just before the process died is unchecked
    # by anyone who reads the run, and retention (which reads succeeded runs) never prunes it.
    published = backup_storage().exists(name)
    storage_delete(name)
    return "; partial file removed" if removed or published else ""


def backup_runs_reap(*, now: datetime.datetime | None = None) -> list[str]:
    """Mark failed the runs and drills a dead process left queued or running, remove their
    partial files: one line per run or drill. The minute loop calls it, and every run."""
    now = now or timezone.now()
    lines = []
    for run in BackupRun.objects.filter(status__in=[BackupStatus.QUEUED, BackupStatus.RUNNING]):
        reason = _stale_reason(run, status=run.status, now=now,
                               started=run.started_at or run.created_at)
        if reason and backup_run_transition(run=run, to=BackupStatus.FAILED, note=reason,
                                            error=reason, finished_at=now):
            logger.warning("backup run %s (%s) marked failed: %s", run.pk, run.kind, reason)
            lines.append(f"backup run #{run.pk} ({run.kind}) marked failed: {reason}"
                         f"{_drop_partial(run)}")
    for drill in RestoreDrill.objects.filter(verdict=DrillVerdict.RUNNING):
        reason = _stale_reason(drill, status="running", started=drill.started_at, now=now)
        if reason and RestoreDrill.objects.filter(pk=drill.pk, verdict=DrillVerdict.RUNNING) \
                .update(verdict=DrillVerdict.FAILED, reason=reason, finished_at=now):
            logger.warning("restore drill %s marked failed: %s", drill.pk, reason)
            RestoreDrillEvent.objects.create(drill=drill, from_verdict=DrillVerdict.RUNNING,
                                             to_verdict=DrillVerdict.FAILED, note=reason)
            lines.append(f"restore drill #{drill.pk} marked failed: {reason}")
            _drop_orphan_scratch(drill)
    # A staged file untouched for the whole timeout belongs to no live run (a live
    # one is being written to); younger ones may be another process's work.
    live = {archive_name(r) for r in BackupRun.objects.filter(
        status=BackupStatus.RUNNING, started_at__isnull=False)}
    staging_leftovers_remove(older_than_seconds=settings.BACKUP_RUN_TIMEOUT_SECONDS, keep=live)
    return lines


def backup_runs_reap_stale(*, now: datetime.datetime | None = None) -> int:
    """backup_runs_reap, counted."""
    return len(backup_runs_reap(now=now))


def _drop_orphan_scratch(drill: RestoreDrill) -> None:
    """A killed drill never dropped its scratch database; do it for it."""
    name = drill.scratch
    live = live_database()
    store = drill.datastore
    if store is not None and store.kind == DataStoreKind.POSTGRESQL:
        try:
            live = stores.store_target(store)
        except BackupError:
            return
    elif store is not None:
        return  # scratch files and folders live in a temporary directory
    if live.vendor == database.POSTGRES and "_drill_" in name:
        try:
            database.pg_database_drop(server=live, name=name)
        except Exception:  # best effort: the drill is recorded failed either way
            logger.warning("could not drop the orphan scratch database %s", name)


def live_database() -> database.DbTarget:
    return database.DbTarget.from_settings(connections["default"].settings_dict)


def _produce(*, run: BackupRun, dest: Path, progress: Progress):
    """Write the archive to dest; (manifest, encrypted, after-publish hook or None)."""
    kind = run.kind
    if run.datastore_name:
        if run.datastore is None:
            raise BackupError(f"data store {run.datastore_name} was deleted")
        return stores.store_backup(store=run.datastore, dest=dest, progress=progress), True, None
    if kind == BackupKind.DATABASE:
        db = live_database()
        if db.vendor == database.POSTGRES:
            return database.pg_dump(db=db, dest=dest, progress=progress), False, None
        return database.sqlite_dump(db=db, dest=dest, progress=progress), False, None
    if kind == BackupKind.WALLET_KEYS:
        return archives.wallet_keys_archive(dest=dest, progress=progress), True, None
    if kind == BackupKind.CONFIG:
        return archives.config_export(dest=dest, progress=progress), False, None
    manifest, rotate = archives.logs_archive(dest=dest, progress=progress)
    return manifest, False, rotate


def _check(*, run: BackupRun, path: Path, manifest: dict) -> None:
    kind = run.kind
    if run.datastore_name:
        stores.store_check(kind=manifest["store_kind"], path=path, manifest=manifest)
    elif kind == BackupKind.DATABASE:
        if manifest["vendor"] == database.POSTGRES:
            database.pg_check_archive(path=path, manifest=manifest)
        else:
            database.sqlite_check_archive(path=path, manifest=manifest)
    elif kind == BackupKind.WALLET_KEYS:
        archives.wallet_keys_check(path=path, manifest=manifest)
    elif kind == BackupKind.CONFIG:
        archives.config_check(path=path, manifest=manifest)
    else:
        archives.logs_check(path=path, manifest=manifest)


def _extension(kind: str) -> str:
    if kind == BackupKind.DATABASE:
        return ".dump" if live_database().vendor == database.POSTGRES else ".sqlite3"
    extensions: dict[str, str] = {BackupKind.WALLET_KEYS: ".tar.fernet",
                                  BackupKind.CONFIG: ".json", BackupKind.LOGS: ".tar.gz"}
    return extensions[kind]


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}" \
        if not isinstance(exc, BackupError) else (text[0] if text else "backup failed")


def backup_run_execute(*, run: BackupRun, progress: Progress | None = None) -> BackupRun:
    """Claim a queued run and produce it: staged, fsynced, checked, then published.

    Any failure (a crash of the tool, a full disk, an unwritable directory) ends
    in a failed run and no archive under the final name.
    """
    progress = progress or Progress()
    backup_runs_reap_stale()
    run.refresh_from_db()
    if run.status != BackupStatus.QUEUED:
        return run  # already claimed, done or reaped: a duplicate delivery does no harm
    now = timezone.now()
    if not backup_run_transition(run=run, to=BackupStatus.RUNNING, note="started",
                                 started_at=now, heartbeat_at=now, host=socket.gethostname(),
                                 pid=os.getpid()):
        return run  # another worker claimed it between our read and our update
    name = archive_name(run)
    rotate = None
    try:
        with heartbeat(model=BackupRun, pk=run.pk, alive={"status": BackupStatus.RUNNING}), \
                staging_path(name) as tmp:
            manifest, encrypted, rotate = _produce(run=run, dest=tmp, progress=progress)
            fsync_file(tmp)
            size, digest = sha256_file(tmp)
            _check(run=run, path=tmp, manifest=manifest)
            stored = publish(tmp, name)
    except Exception as exc:  # every failure is recorded; the message is for the operator
        reason = _one_line(exc)
        if run.datastore_name:
            # The alert names the store: the kind's rule fires for the bot's stores too.
            reason = f"data store {run.datastore_name}: {reason}"
        logger.warning("backup run %s (%s) failed: %s", run.pk, run.kind, reason)
        backup_run_transition(run=run, to=BackupStatus.FAILED, note=reason,
                              error=reason, finished_at=timezone.now())
        return run
    if not backup_run_transition(run=run, to=BackupStatus.SUCCEEDED, note="checked and stored",
                                 finished_at=timezone.now(), size_bytes=size, sha256=digest,
                                 encrypted=encrypted, storage_name=stored, manifest=manifest):
        # Reaped meanwhile (its heartbeat went silent): the run stays failed, with no archive.
        logger.warning("backup run %s (%s) was marked failed while it ran: archive removed",
                       run.pk, run.kind)
        storage_delete(stored)
        run.refresh_from_db()
        return run
    if rotate:
        rotate()
    return run


def backup_run_now(*, kind: str | None = None, trigger: str = "command",
                   progress: Progress | None = None,
                   datastore: DataStore | None = None) -> BackupRun:
    """Create and execute a run in this process (commands, scheduled tasks)."""
    return backup_run_execute(run=backup_run_create(kind=kind, trigger=trigger,
                                                    datastore=datastore),
                              progress=progress)
