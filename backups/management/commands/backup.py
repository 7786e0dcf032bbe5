from django.core.management.base import BaseCommand, CommandError

from backups.services import (
    BackupError,
    Progress,
    backup_run_now,
    datastore_backup_now,
    datastore_by_name,
)
from backups.services.common import human_size
from backups.services.runs import backup_kind_validate


class Command(BaseCommand):
    help = ("One backup now (database, wallet_keys, config or logs; or --datastore NAME, one "
            "of the bot's registered data stores), recorded as a backup run.")

    def add_arguments(self, parser):
        parser.add_argument("kind", nargs="?", help="database, wallet_keys, config or logs")
        parser.add_argument("--datastore", metavar="NAME",
                            help="back up this registered data store of the bot instead")

    def handle(self, *args, kind, datastore, **options):
        if bool(kind) == bool(datastore):
            raise CommandError("give a kind (database, wallet_keys, config, logs) or "
                               "--datastore NAME, not both", returncode=2)
        try:
            store = datastore_by_name(datastore) if datastore else None
            if kind:
                backup_kind_validate(kind)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if store is not None:
            run = datastore_backup_now(store=store, trigger="command",
                                       progress=Progress(self.stderr, label=store.name))
        else:
            run = backup_run_now(kind=kind, trigger="command",
                                 progress=Progress(self.stderr, label=kind))
        if run.status != "succeeded":
            raise CommandError(f"backup run {run.pk} failed: {run.error}", returncode=1)
        self.stderr.write(f"backup run {run.pk} succeeded: {run.storage_name}, "
                          f"{human_size(run.size_bytes)}, sha256 {run.sha256[:16]}")
        # The run id alone on the last line, for scripts.
        self.stdout.write(str(run.pk))
