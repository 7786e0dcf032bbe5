import sqlite3

import psycopg
from django.core.management.base import BaseCommand, CommandError

from backups.models import BackupRun
from backups.services import BackupError, Progress, backup_restore


def run_or_error(value) -> BackupRun:
    """The backup run with this id, or a one-line CommandError."""
    try:
        return BackupRun.objects.get(pk=int(value))
    except (ValueError, BackupRun.DoesNotExist):
        raise CommandError(f"backup run {value} does not exist", returncode=2) from None


class Command(BaseCommand):
    help = ("Restore a backup run: a database run into --into DATABASE_URL, a wallet_keys run "
            "into --into DIRECTORY. The live database needs --force.")

    def add_arguments(self, parser):
        parser.add_argument("run", help="backup run id")
        parser.add_argument("--into", required=True,
                            help="DATABASE_URL (database runs) or a directory (wallet_keys)")
        parser.add_argument("--force", action="store_true",
                            help="allow overwriting the live database or WALLET_KEYS_DIR")

    def handle(self, *args, run, into, force, **options):
        backup_run = run_or_error(run)
        try:
            summary = backup_restore(run=backup_run, into=into, force=force,
                                     progress=Progress(self.stderr, label="restore"))
        except (BackupError, psycopg.Error, sqlite3.Error, OSError) as exc:
            # One line for the operator, whatever failed underneath.
            lines = str(exc).strip().splitlines()
            raise CommandError(lines[0] if lines else type(exc).__name__, returncode=1) from exc
        self.stdout.write(summary)
