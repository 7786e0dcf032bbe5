from django.core.management.base import BaseCommand, CommandError

from backups.services import BackupError, Progress, backup_run_now
from backups.services.common import human_size
from backups.services.runs import backup_kind_validate


class Command(BaseCommand):
    help = "One backup now (database, wallet_keys, config or logs), recorded as a backup run."

    def add_arguments(self, parser):
        parser.add_argument("kind", help="database, wallet_keys, config or logs")

    def handle(self, *args, kind, **options):
        try:
            backup_kind_validate(kind)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        run = backup_run_now(kind=kind, trigger="command",
                             progress=Progress(self.stderr, label=kind))
        if run.status != "succeeded":
            raise CommandError(f"backup run {run.pk} failed: {run.error}", returncode=1)
        self.stderr.write(f"backup run {run.pk} succeeded: {run.storage_name}, "
                          f"{human_size(run.size_bytes)}, sha256 {run.sha256[:16]}")
        # The run id alone on the last line, for scripts.
        self.stdout.write(str(run.pk))
