"""Pieces every backup kind shares: errors, progress lines, checksums, storage, heartbeats."""

import hashlib
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import DatabaseError, connections
from django.utils import timezone

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is one line for the operator."""


class Progress:
    """Progress lines on a terminal (stderr): one per MB or per table. Silent without a stream."""

    def __init__(self, stream=None, label: str = ""):
        self.stream = stream
        self.label = label
        self._last_mb = -1

    def line(self, text: str) -> None:
        if self.stream is not None:
            self.stream.write(f"{self.label}: {text}" if self.label else text)
            if hasattr(self.stream, "flush"):
                self.stream.flush()

    def bytes(self, done: int, total: int | None = None) -> None:
        mb = done // CHUNK
        if mb != self._last_mb:
            self._last_mb = mb
            of = f" of {total / CHUNK:.1f} MB" if total else ""
            self.line(f"{done / CHUNK:.1f} MB{of}")


def human_size(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def sha256_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_storage():
    return storages["backups"]


def _local_path(storage, name: str) -> Path | None:
    """The file's path when the storage is a local directory, else None (S3 and friends)."""
    try:
        return Path(storage.path(name))
    except NotImplementedError:
        return None


STAGING_PREFIX = "opsportal-backup-"


@contextmanager
def staging_path(name: str) -> Iterator[Path]:
    """A temporary file to write the archive to; removed on the way out unless published.

    On a local storage it sits beside the final name, so publishing is an atomic
    rename on the same filesystem; an unwritable or missing directory fails here,
    before anything is recorded as written.
    """
    final = _local_path(backup_storage(), name)
    workdir = None
    if final is not None:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".tmp-{final.name}")
    else:
        workdir = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX))
        tmp = workdir / Path(name).name
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def staging_remove(name: str) -> int:
    """Remove what staging_path(name) left behind when its process died: -> files removed.

    Beside the final name on a local storage; in this host's temporary directory for a
    remote one (another host's temporary files are out of reach).
    """
    final = _local_path(backup_storage(), name)
    if final is not None:
        staged = [final.with_name(f".tmp-{final.name}")]
    else:
        staged = list(Path(tempfile.gettempdir()).glob(f"{STAGING_PREFIX}*/{Path(name).name}"))
    removed = 0
    for path in staged:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
        if final is None:
            shutil.rmtree(path.parent, ignore_errors=True)
    return removed


def publish(tmp: Path, name: str) -> str:
    """Move a complete, fsynced, checked archive to its final name in the storage."""
    storage = backup_storage()
    final = _local_path(storage, name)
    if final is not None:
        if final.exists():
            raise BackupError(f"{name} already exists in the backup storage")
        os.replace(tmp, final)
        fsync_dir(final.parent)
        return name
    # Remote object stores make an object visible only once its upload completes.
    with open(tmp, "rb") as fh:
        return storage.save(name, File(fh, name=Path(name).name))


@contextmanager
def archive_local(name: str) -> Iterator[Path]:
    """A local path to a stored archive: itself on disk, or a downloaded temporary copy."""
    storage = backup_storage()
    path = _local_path(storage, name)
    if path is not None:
        if not path.is_file():
            raise BackupError(f"archive {name} is missing from the backup storage")
        yield path
        return
    workdir = Path(tempfile.mkdtemp(prefix="opsportal-restore-"))
    try:
        local = workdir / Path(name).name
        with storage.open(name, "rb") as src, open(local, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
        yield local
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def storage_delete(name: str) -> None:
    storage = backup_storage()
    if name and storage.exists(name):
        storage.delete(name)


def _filesystem_now(root: Path) -> float:
    """The time by the clock that stamps mtimes in root (a file server's, on NFS), which
    is the one to age files against, not this process's time.time()."""
    with tempfile.NamedTemporaryFile(dir=root, prefix=".clock-") as probe:
        return os.fstat(probe.fileno()).st_mtime


def staging_leftovers_remove(*, older_than_seconds: int,
                             keep: frozenset[str] | set[str] = frozenset()) -> int:
    """Remove `.tmp-*` files a killed run left in a local backup directory.

    `keep`: storage names of runs still queued or running; their staged files are
    never leftovers, however old they look.
    """
    root = _local_path(backup_storage(), "")
    if root is None or not root.is_dir():
        return 0
    kept = {f".tmp-{Path(name).name}" for name in keep}
    cutoff = _filesystem_now(root) - older_than_seconds
    removed = 0
    for path in root.rglob(".tmp-*"):
        try:
            if path.name not in kept and path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed


@contextmanager
def heartbeat(*, model, pk: int, alive: dict) -> Iterator[None]:
    """Stamp the row's heartbeat_at every BACKUP_HEARTBEAT_SECONDS while the block runs.

    From a thread, because the block (pg_dump, a restore) can go minutes without
    returning to Python: the row stays fresh for as long as this process lives,
    however slow the work, and goes silent when the process dies, which is what
    the minute loop's reaper watches. `alive` filters the row while it still runs:
    once finished or reaped, the beats stop. Hand-written: a lease on one row is a
    dozen lines and no library keeps one for a Django model.
    """
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(settings.BACKUP_HEARTBEAT_SECONDS):
                try:
                    if not model.objects.filter(pk=pk, **alive).update(
                            heartbeat_at=timezone.now()):
                        return
                except DatabaseError as exc:
                    # The timeout spans several beats: the next one may get through.
                    logger.warning("heartbeat of %s %s not written: %s", model.__name__, pk, exc)
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=beat, name=f"heartbeat-{model.__name__}-{pk}",
                              daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)  # a beat stuck on a hung database must not hold the run
