"""Read-only queries over accounts: the latest security scans."""

from accounts.models import ScanStatus, SecurityScan

# The scanners `manage.py security_scan` runs (accounts/scans.py), by tool name.
SCAN_TOOLS = ("ruff-bandit", "pip-audit")


def security_scan_latest(*, tool: str) -> SecurityScan | None:
    return SecurityScan.objects.filter(tool=tool).order_by("-ran_at", "-pk").first()


def security_scan_is_clean(scan: SecurityScan) -> bool:
    """Clean, and only clean: "could not run" is never read as clean."""
    return scan.status == ScanStatus.CLEAN
