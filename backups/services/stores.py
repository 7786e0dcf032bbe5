"""Backups and drills of the bot's data stores, one pair of functions per kind.

Every archive is Fernet-encrypted (BACKUP_ENCRYPTION_KEY) like the wallet keys: the
bot's databases hold positions and keys as much as its key folder does. Fernet is not
a streaming cipher, so an archive is encrypted in memory; the plaintext stage of a
dump sits in a private (0700) temporary directory that is removed on the way out.
"""

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import InvalidToken

from backups.models import DataStore, DataStoreKind
from backups.services import archives, database
from backups.services.common import BackupError, Progress

SQLITE_HEADER = b"SQLite format 3\x00"


@contextmanager
def private_dir(prefix: str) -> Iterator[Path]:
    workdir = Path(tempfile.mkdtemp(prefix=prefix))  # mkdtemp: mode 0700
    try:
        yield workdir
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def store_target(store: DataStore) -> database.DbTarget:
    target = database.DbTarget.from_url(store.url)
    if target.vendor != database.POSTGRES:
        raise BackupError(f"data store {store.name}: its URL is not a PostgreSQL URL")
    return target


def _encrypt(plain: bytes, dest: Path) -> None:
    dest.write_bytes(archives.encryption_keys().encrypt(plain))


def decrypt(path: Path) -> bytes:
    try:
        return archives.encryption_keys().decrypt(path.read_bytes())
    except InvalidToken as exc:
        raise BackupError("cannot decrypt the archive: wrong key or tampered archive") from exc


@contextmanager
def decrypted_file(path: Path, name: str) -> Iterator[Path]:
    """The archive's plaintext as a file, for the tools that read files (pg_restore)."""
    with private_dir("opsportal-store-") as workdir:
        plain = workdir / name
        fd = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(decrypt(path))
        yield plain


# --- Backups ------------------------------------------------------------------------

def _sqlite_source(store: DataStore) -> Path:
    path = Path(store.path)
    if not path.exists():
        raise BackupError(f"SQLite database {path} does not exist")
    if not path.is_file():
        raise BackupError(f"{path} is not a file, so not a SQLite database")
    with open(path, "rb") as fh:
        header = fh.read(len(SQLITE_HEADER))
    # An empty file is what sqlite3.connect leaves behind: no database either.
    if header != SQLITE_HEADER:
        raise BackupError(f"{path} is not a SQLite database (no SQLite header)")
    return path


def _folder_source(store: DataStore) -> Path:
    root = Path(store.path)
    if not root.exists():
        raise BackupError(f"folder {root} does not exist")
    if not root.is_dir():
        raise BackupError(f"{root} is a file, not a folder")
    return root


def store_backup(*, store: DataStore, dest: Path, progress: Progress) -> dict:
    """Write the store's encrypted archive to dest; the manifest to record and verify with."""
    archives.encryption_keys()  # no key: refuse before reading anything
    with private_dir("opsportal-store-") as workdir:
        if store.kind == DataStoreKind.POSTGRESQL:
            plain = workdir / "dump"
            manifest = database.pg_dump(db=store_target(store), dest=plain, progress=progress)
        elif store.kind == DataStoreKind.SQLITE:
            plain = workdir / "copy.sqlite3"
            # One step of the online backup API: it holds a read lock for the copy, where
            # a stepped copy restarts on every write of the bot and may never finish.
            database.sqlite_copy(src=_sqlite_source(store), dest=plain, progress=progress,
                                 pages=-1)
            manifest = {"vendor": database.SQLITE, "tables": database.sqlite_table_counts(plain),
                        "integrity": database.sqlite_integrity(plain)}
        else:
            plain = workdir / "folder.tar"
            files = _tar_folder(root=_folder_source(store), dest=plain, progress=progress)
            manifest = {"files": files}
        manifest |= {"datastore": store.name, "store_kind": store.kind, "cipher": "fernet"}
        _encrypt(plain.read_bytes(), dest)
    return manifest


def _tar_folder(*, root: Path, dest: Path, progress: Progress) -> dict:
    entries = archives.folder_entries(root)
    files = {}
    with tarfile.open(dest, "w") as tar:
        for name, path in entries:
            data = path.read_bytes()
            files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
            progress.line(f"{len(files)}/{len(entries)} files")
    return files


def folder_contents(path: Path) -> dict[str, bytes]:
    out = {}
    with tarfile.open(fileobj=io.BytesIO(decrypt(path)), mode="r") as tar:
        for member in tar.getmembers():
            extracted = tar.extractfile(member) if member.isfile() else None
            if extracted is not None:
                out[member.name] = extracted.read()
    return out


def store_check(*, kind: str, path: Path, manifest: dict) -> None:
    """The staged archive decrypts and reads back as what the manifest says."""
    if kind == DataStoreKind.POSTGRESQL:
        with decrypted_file(path, "check.dump") as plain:
            database.pg_check_archive(path=plain, manifest=manifest)
    elif kind == DataStoreKind.SQLITE:
        with decrypted_file(path, "check.sqlite3") as plain:
            database.sqlite_check_archive(path=plain, manifest=manifest)
    else:
        archives.wallet_keys_compare(contents=folder_contents(path), manifest=manifest)


# --- Drills -------------------------------------------------------------------------

def _drill_postgresql(*, store: DataStore, archive: Path, manifest: dict, drill,
                      progress: Progress, live_portal: database.DbTarget) -> dict:
    live = store_target(store)
    scratch = live.with_name(database.pg_scratch_name(live.name))
    drill.scratch = scratch.name
    drill.save(update_fields=["scratch"])
    database.pg_database_create(server=live, name=scratch.name)
    try:
        # By identity (cluster system identifier + database OID), never by spelling:
        # a second host name or port of the same server is still the same database.
        for name, other in (("the store's live database", live),
                            ("the portal's own database", live_portal)):
            if other.vendor == database.POSTGRES and database.is_same_database(scratch, other):
                raise BackupError(f"scratch database {scratch.name} is {name}: refusing")
        with decrypted_file(archive, "drill.dump") as plain:
            database.pg_restore(archive=plain, target=scratch, clean=False, progress=progress)
        details = compare_counts(manifest.get("tables", {}), database.pg_counts_of(scratch))
        progress.line(f"row counts match in {details['tables']} tables")
        return details
    finally:
        database.pg_database_drop(server=live, name=scratch.name)


def _drill_sqlite(*, store: DataStore, archive: Path, manifest: dict, drill,
                  progress: Progress) -> dict:
    with private_dir("opsportal-drill-") as workdir:
        scratch = workdir / "scratch.sqlite3"
        drill.scratch = str(scratch)
        drill.save(update_fields=["scratch"])
        if database.sqlite_is_same_file(scratch, Path(store.path)):
            raise BackupError(f"scratch file {scratch} is the live {store.path}: refusing")
        with decrypted_file(archive, "drill.sqlite3") as plain:
            database.sqlite_copy(src=plain, dest=scratch, progress=progress, pages=-1)
        if os.path.exists(store.path) and os.path.samefile(scratch, store.path):
            raise BackupError(f"scratch file {scratch} is the live {store.path}: refusing")
        verdict = database.sqlite_integrity(scratch)
        if verdict != "ok":
            raise BackupError(f"SQLite integrity check of the restore failed: {verdict}")
        details = compare_counts(manifest.get("tables", {}),
                                 database.sqlite_table_counts(scratch))
        progress.line(f"integrity_check ok; row counts match in {details['tables']} tables")
        return details | {"integrity_check": verdict}


def _drill_files(*, store: DataStore, archive: Path, manifest: dict, drill,
                 progress: Progress) -> dict:
    with private_dir("opsportal-drill-") as workdir:
        scratch = workdir / "restored"
        drill.scratch = str(scratch)
        drill.save(update_fields=["scratch"])
        if archives.within_folder(scratch, Path(store.path)):
            raise BackupError(f"scratch folder {scratch} is inside the live {store.path}: "
                              "refusing")
        archives.wallet_keys_write(contents=folder_contents(archive), into=scratch)
        # Read back from disk: the per-file checksums prove what was written, not memory.
        written = {name: path.read_bytes() for name, path in archives.folder_entries(scratch)}
        archives.wallet_keys_compare(contents=written, manifest=manifest)
        progress.line(f"{len(written)} files match the manifest's sha256")
        return {"files": len(written)}


def store_drill(*, store: DataStore, archive: Path, manifest: dict, drill, progress: Progress,
                live_portal: database.DbTarget) -> dict:
    if store.kind == DataStoreKind.POSTGRESQL:
        return _drill_postgresql(store=store, archive=archive, manifest=manifest, drill=drill,
                                 progress=progress, live_portal=live_portal)
    if store.kind == DataStoreKind.SQLITE:
        return _drill_sqlite(store=store, archive=archive, manifest=manifest, drill=drill,
                             progress=progress)
    return _drill_files(store=store, archive=archive, manifest=manifest, drill=drill,
                        progress=progress)


def compare_counts(expected: dict[str, int], got: dict[str, int]) -> dict:
    differ = {t: [expected.get(t), got.get(t)] for t in sorted(set(expected) | set(got))
              if expected.get(t) != got.get(t)}
    if differ:
        table, (want, have) = next(iter(differ.items()))
        raise BackupError(f"row counts differ in {len(differ)} table(s), e.g. {table}: "
                          f"expected {want}, got {have}")
    return {"tables": len(expected), "rows": sum(expected.values()),
            "row_counts": expected}
