from django.core.management.base import BaseCommand, CommandError

from accounts.models import ScanStatus
from accounts.scans import security_scan_bandit, security_scan_dependencies


class Command(BaseCommand):
    help = ("Run ruff's bandit rules and pip-audit, record each as a SecurityScan. Exit 1 on "
            "findings; a scanner that cannot reach its service is reported, not failed.")

    def handle(self, *args, **options):
        scans = [security_scan_bandit(), security_scan_dependencies()]
        for scan in scans:
            style = {ScanStatus.CLEAN: self.style.SUCCESS,
                     ScanStatus.FINDINGS: self.style.ERROR}.get(scan.status, self.style.WARNING)
            self.stdout.write(style(f"{scan.tool}: {scan.get_status_display()}: {scan.summary}"))
            if scan.status == ScanStatus.FINDINGS:
                self.stdout.write(scan.output)
        if any(s.status == ScanStatus.FINDINGS for s in scans):
            raise CommandError("security scan found problems (see above)", returncode=1)
