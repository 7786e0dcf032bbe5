"""The file kinds: wallet keys (encrypted), configuration (redacted) and logs."""

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.views.debug import SafeExceptionReporterFilter
from django_celery_beat.models import PeriodicTask

from backups.services.common import BackupError, Progress
from common.redaction import URL_IN_TEXT, mask_url, url_secret_parts

# --- Wallet keys ----------------------------------------------------------------

def encryption_keys() -> MultiFernet:
    """All configured keys read; the first one writes (rotation: prepend the new key)."""
    keys = [k for k in settings.BACKUP_ENCRYPTION_KEYS if k]
    if not keys:
        # Shared by wallet keys and the bot's data stores: say what, not which.
        raise BackupError("BACKUP_ENCRYPTION_KEY is not set: refusing to write this backup "
                          "unencrypted")
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise BackupError("BACKUP_ENCRYPTION_KEY holds a key that is not a Fernet key "
                          "(32 url-safe base64-encoded bytes)") from exc


def folder_entries(root: Path) -> list[tuple[str, Path]]:
    """(relative name, path) of every regular file below root, symlinks left out."""
    return _file_entries(root)


def _file_entries(root: Path) -> list[tuple[str, Path]]:
    return sorted((str(p.relative_to(root)), p) for p in root.rglob("*")
                  if p.is_file() and not p.is_symlink())


def wallet_keys_archive(*, dest: Path, progress: Progress) -> dict:
    """tar in memory, then Fernet (AES-CBC + HMAC-SHA256): no plaintext ever reaches disk."""
    fernet = encryption_keys()
    root = Path(settings.WALLET_KEYS_DIR)
    if not root.is_dir():
        raise BackupError(f"WALLET_KEYS_DIR {root} is not a directory")
    entries = _file_entries(root)
    if not entries:
        raise BackupError(f"WALLET_KEYS_DIR {root} holds no files")
    buffer = io.BytesIO()
    files = {}
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, path in entries:
            data = path.read_bytes()
            files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
            progress.line(f"{len(files)}/{len(entries)} files")
    dest.write_bytes(fernet.encrypt(buffer.getvalue()))
    return {"files": files, "cipher": "fernet"}


def wallet_keys_open(*, path: Path) -> dict[str, bytes]:
    """Decrypt and unpack in memory: {relative name: content}."""
    fernet = encryption_keys()
    try:
        plain = fernet.decrypt(path.read_bytes())
    except InvalidToken as exc:
        raise BackupError("cannot decrypt the wallet-key archive: wrong key or tampered "
                          "archive") from exc
    out = {}
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r") as tar:
        for member in tar.getmembers():
            extracted = tar.extractfile(member) if member.isfile() else None
            if extracted is not None:
                out[member.name] = extracted.read()
    return out


def wallet_keys_compare(*, contents: dict[str, bytes], manifest: dict) -> None:
    expected = manifest.get("files", {})
    if set(contents) != set(expected):
        raise BackupError(f"the archive holds {len(contents)} files, the manifest "
                          f"{len(expected)}")
    for name, data in contents.items():
        if hashlib.sha256(data).hexdigest() != expected[name]["sha256"]:
            # Names only: never a secret in a message or a log.
            raise BackupError(f"{name} differs from the manifest's hash")


def wallet_keys_check(*, path: Path, manifest: dict) -> None:
    wallet_keys_compare(contents=wallet_keys_open(path=path), manifest=manifest)


def within_live_wallet_keys(path: Path) -> bool:
    """Whether writing at path writes into WALLET_KEYS_DIR: the directory itself or below it."""
    return within_folder(path, Path(settings.WALLET_KEYS_DIR))


def within_folder(path: Path, live: Path) -> bool:
    """Whether writing at path writes into the folder live: itself or below it.

    By real path (symlinks, `..`) and by inode identity of path and each of its
    ancestors (a bind mount or any other name of the live directory).
    """
    real, live_real = Path(os.path.realpath(path)), Path(os.path.realpath(live))
    if real == live_real or live_real in real.parents:
        return True
    try:
        live_id = (live.stat().st_dev, live.stat().st_ino)
    except FileNotFoundError:
        return False
    for candidate in (real, *real.parents):
        try:
            stat = candidate.stat()
        except (FileNotFoundError, NotADirectoryError):
            continue  # not written yet: only its existing ancestors can be the live directory
        if (stat.st_dev, stat.st_ino) == live_id:
            return True
    return False


def wallet_keys_write(*, contents: dict[str, bytes], into: Path) -> int:
    into.mkdir(parents=True, exist_ok=True)
    for name, data in contents.items():
        target = (into / name).resolve()
        if into.resolve() not in target.parents:
            raise BackupError(f"refusing an archive member outside the target: {name}")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    return len(contents)


# --- Configuration ------------------------------------------------------------------

def _secret_values() -> list[str]:
    values = [settings.SECRET_KEY, *settings.BACKUP_ENCRYPTION_KEYS]
    values += [db.get("PASSWORD") or "" for db in settings.DATABASES.values()]
    # The credentials inside every URL-valued setting (broker, cache, BOT_CONTROL_URL...).
    for name in dir(settings):
        value = getattr(settings, name, None) if name.isupper() else None
        if isinstance(value, str):
            for url in URL_IN_TEXT.findall(value):
                values += url_secret_parts(url, schema_aware=False)
    # A password equal to a user, database or host name would match harmless text.
    benign = {str(db.get(k) or "") for db in settings.DATABASES.values()
              for k in ("USER", "NAME", "HOST")}
    return [v for v in values if v and len(v) >= 6 and v not in benign]


def config_redacted() -> str:
    """Settings (Django's own secret filter, plus passwords inside URLs) and beat schedules."""
    safe = SafeExceptionReporterFilter().get_safe_settings()
    tasks = [
        {"name": t.name, "task": t.task, "enabled": t.enabled, "kwargs": t.kwargs,
         "schedule": str(t.schedule) if (t.interval_id or t.crontab_id) else ""}
        for t in PeriodicTask.objects.select_related("interval", "crontab").order_by("name")
    ]
    text = json.dumps({"settings": safe, "periodic_tasks": tasks}, indent=2, sort_keys=True,
                      default=str)
    # Credentials inside URLs (broker, cache, DSNs, BOT_CONTROL_URL's key), as everywhere.
    return URL_IN_TEXT.sub(lambda m: mask_url(m.group(0), schema_aware=False), text)


def config_check(*, path: Path, manifest: dict) -> None:
    text = path.read_text()
    json.loads(text)
    # Belt and braces: refuse to keep an export in which a known secret survived.
    leaked = sum(1 for value in _secret_values() if value in text)
    if leaked:
        raise BackupError(f"{leaked} secret value(s) survived redaction: refusing the export")


def config_export(*, dest: Path, progress: Progress) -> dict:
    text = config_redacted()
    dest.write_text(text)
    progress.bytes(len(text))
    return {"settings": text.count("\n"), "redacted": True}


# --- Logs -------------------------------------------------------------------------

def logs_archive(*, dest: Path, progress: Progress) -> tuple[dict, Callable[[], None]]:
    """Compress every file of LOG_DIR; after publishing, rotate what was archived."""
    root = Path(settings.LOG_DIR)
    # A missing folder is a misconfiguration, not "no logs": an empty archive would be
    # a successful backup of nothing.
    if not root.is_dir():
        raise BackupError(f"LOG_DIR {root} is not a directory")
    entries = _file_entries(root)
    entries = [(n, p) for n, p in entries if not p.name.startswith(".")]
    files, done = {}, 0
    with tarfile.open(dest, "w:gz") as tar:
        for name, path in entries:
            size = path.stat().st_size
            with open(path, "rb") as fh:
                info = tarfile.TarInfo(name)
                info.size, info.mtime = size, int(path.stat().st_mtime)
                tar.addfile(info, fh)
            files[name] = {"size": size}
            done += size
            progress.bytes(done)

    def rotate():
        # Active logs (*.log) are truncated in place, as logrotate's copytruncate does,
        # because their writers keep them open; only if nothing was appended since.
        # Already-rotated files (app.log.1, *.gz) are removed.
        for name, path in entries:
            try:
                if path.name.endswith(".log"):
                    if path.stat().st_size == files[name]["size"]:
                        os.truncate(path, 0)
                else:
                    path.unlink()
            except FileNotFoundError:
                pass

    return {"files": files, "log_dir": str(root)}, rotate


def logs_check(*, path: Path, manifest: dict) -> None:
    with tarfile.open(path, "r:gz") as tar:
        names = {m.name for m in tar.getmembers()}
    if names != set(manifest["files"]):
        raise BackupError("the log archive's members differ from the manifest")
