from django.core.management.base import BaseCommand, CommandError

from backups.management.commands.restore import run_or_error
from backups.services import Progress, restore_drill_run


class Command(BaseCommand):
    help = ("Restore the newest (or given) successful backup into a scratch database, verify "
            "it, record the drill and its duration, drop the scratch.")

    def add_arguments(self, parser):
        parser.add_argument("--run", help="backup run id (default: newest database backup)")

    def handle(self, *args, run, **options):
        backup_run = run_or_error(run) if run is not None else None
        drill = restore_drill_run(run=backup_run, trigger="command",
                                  progress=Progress(self.stderr, label="drill"))
        line = f"restore drill {drill.pk} {drill.verdict} in {drill.duration_seconds:.2f} s"
        if drill.verdict != "passed":
            raise CommandError(f"{line}: {drill.reason}", returncode=1)
        self.stdout.write(line)
