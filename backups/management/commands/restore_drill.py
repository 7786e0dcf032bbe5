from django.core.management.base import BaseCommand, CommandError

from backups.management.commands.restore import run_or_error
from backups.services import BackupError, Progress, datastore_by_name, restore_drill_run


class Command(BaseCommand):
    help = ("Restore the newest (or given) successful backup into a scratch database, verify "
            "it, record the drill and its duration, drop the scratch. --datastore NAME: the "
            "newest backup of one of the bot's data stores, into a scratch database, file "
            "or folder.")

    def add_arguments(self, parser):
        parser.add_argument("--run", help="backup run id (default: newest database backup)")
        parser.add_argument("--datastore", metavar="NAME",
                            help="drill the newest backup of this registered data store")

    def handle(self, *args, run, datastore, **options):
        backup_run = run_or_error(run) if run is not None else None
        try:
            store = datastore_by_name(datastore) if datastore else None
        except BackupError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        label = store.name if store else "drill"
        drill = restore_drill_run(run=backup_run, trigger="command", datastore=store,
                                  progress=Progress(self.stderr, label=label))
        line = f"restore drill {drill.pk} {drill.verdict} in {drill.duration_seconds:.2f} s"
        if drill.verdict != "passed":
            raise CommandError(f"{line}: {drill.reason}", returncode=1)
        self.stdout.write(line)
