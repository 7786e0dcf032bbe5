import io
import os
import tarfile

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from backups.models import BackupRun, BackupStatus, DrillVerdict
from backups.services import backup_run_now, backups_bootstrap, restore_drill_run

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def wallet(backup_env):
    keys = backup_env / "wallet_keys"
    (keys / "hot").mkdir(parents=True)
    files = {
        "hot/trader.json": b'{"secret_key": "PLAINTEXT-MARKER-5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST"}',
        "fee-payer.key": os.urandom(64),
    }
    for name, data in files.items():
        (keys / name).write_bytes(data)
    return files


def test_the_wallet_key_archive_holds_no_plaintext_and_restores_byte_identical_with_a_rotated_key(
        wallet, backup_env, settings):
    backup = backup_run_now(kind="wallet_keys")
    assert backup.status == BackupStatus.SUCCEEDED and backup.encrypted
    archive = (backup_env / "backups" / backup.storage_name).read_bytes()
    for data in wallet.values():
        assert data not in archive
    assert b"PLAINTEXT-MARKER" not in archive and b"trader.json" not in archive
    # Nothing but the final archive was written to the backup directory.
    assert [p.name for p in (backup_env / "backups").rglob("*") if p.is_file()] == [
        archive_name := backup.storage_name.split("/")[-1]]
    assert archive_name.endswith(".tar.fernet")

    # Rotation: a new key writes, the old one still reads.
    old_key = settings.BACKUP_ENCRYPTION_KEYS[0]
    settings.BACKUP_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    into = backup_env / "restored"
    out = run("restore", str(backup.pk), "--into", str(into))
    assert "restored 2 wallet key files" in out
    for name, data in wallet.items():
        assert (into / name).read_bytes() == data
        assert (into / name).stat().st_mode & 0o777 == 0o600

    drill = restore_drill_run(run=backup)
    assert drill.verdict == DrillVerdict.PASSED, drill.reason
    assert drill.details == {"files": 2}

    # The new key alone cannot read the old archive.
    settings.BACKUP_ENCRYPTION_KEYS = settings.BACKUP_ENCRYPTION_KEYS[:1]
    with pytest.raises(CommandError, match="cannot decrypt"):
        run("restore", str(backup.pk), "--into", str(backup_env / "again"))


def test_a_wallet_drill_of_a_tampered_archive_fails_without_leaking_a_secret(wallet,
                                                                               backup_env):
    backup = backup_run_now(kind="wallet_keys")
    path = backup_env / "backups" / backup.storage_name
    path.write_bytes(path.read_bytes()[:-10] + b"AAAAAAAAAA")
    drill = restore_drill_run(run=backup)
    assert drill.verdict == DrillVerdict.FAILED
    assert "PLAINTEXT" not in drill.reason


def test_wallet_keys_are_not_backed_up_without_an_encryption_key(wallet, settings):
    settings.BACKUP_ENCRYPTION_KEYS = []
    with pytest.raises(CommandError, match="BACKUP_ENCRYPTION_KEY is not set"):
        run("backup", "wallet_keys")
    assert BackupRun.objects.get().status == BackupStatus.FAILED


def test_the_config_backup_redacts_every_secret(backup_env, settings):
    settings.SECRET_KEY = "django-secret-that-must-not-leak-0123456789"
    settings.CELERY_BROKER_URL = "redis://:broker-pass-must-not-leak@redis:6379/0"
    settings.PARTNER_API_TOKEN = "partner-token-must-not-leak"
    backups_bootstrap()
    backup = backup_run_now(kind="config")
    assert backup.status == BackupStatus.SUCCEEDED, backup.error
    text = (backup_env / "backups" / backup.storage_name).read_text()
    for secret in ("django-secret-that-must-not-leak", "broker-pass-must-not-leak",
                   "partner-token-must-not-leak", settings.BACKUP_ENCRYPTION_KEYS[0]):
        assert secret not in text
    assert "redis://:********@redis:6379/0" in text
    assert '"BACKUP_DIR"' in text and "backup database" in text  # settings and schedules


def test_the_logs_backup_archives_then_rotates_the_log_files(backup_env):
    logs = backup_env / "log"
    logs.mkdir()
    (logs / "portal.log").write_text("this week\n")
    (logs / "portal.log.1").write_text("last week\n")
    backup = backup_run_now(kind="logs")
    assert backup.status == BackupStatus.SUCCEEDED, backup.error
    with tarfile.open(backup_env / "backups" / backup.storage_name, "r:gz") as tar:
        assert tar.extractfile("portal.log").read() == b"this week\n"
        assert tar.extractfile("portal.log.1").read() == b"last week\n"
    assert (logs / "portal.log").read_text() == ""  # truncated in place for its writer
    assert not (logs / "portal.log.1").exists()
