from django.core.management.base import BaseCommand, CommandError

from codescans.services import (
    RepoScanError,
    repo_scan_create,
    repo_scan_execute,
    repo_scan_summary,
)


class Command(BaseCommand):
    help = ("Scan the bot's repository (BOT_REPO_DIR, or --repo): size, long files, sleep() "
            "calls, pinned ruff lint and security rules, data stores; recorded as a RepoScan.")

    def add_arguments(self, parser):
        parser.add_argument("--repo", help="the repository to scan instead of BOT_REPO_DIR")

    def handle(self, *args, repo=None, **options):
        try:
            scan = repo_scan_create(repo_dir=repo, trigger="command")
        except RepoScanError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"scanning {scan.repo_dir} (repo scan #{scan.pk})")
        scan = repo_scan_execute(scan=scan, progress=lambda line: self.stderr.write(f"  {line}"))
        for line in repo_scan_summary(scan):
            self.stdout.write(line)
        if scan.status != "succeeded":
            raise CommandError(f"repo scan #{scan.pk} failed: {scan.error}")
