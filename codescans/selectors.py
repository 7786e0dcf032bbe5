"""Reads of repository scans (the launch checklist reads them through here)."""

from django.db.models import QuerySet

from codescans.models import RepoScan, ScanStatus

TREND_FIELDS = ("python_files", "python_lines", "sleep_calls", "lint_errors",
                "security_findings", "data_store_count")


def repo_scan_latest(*, succeeded_only: bool = True) -> RepoScan | None:
    """The newest scan (by default the newest that succeeded), or None."""
    scans = RepoScan.objects.all()
    if succeeded_only:
        scans = scans.filter(status=ScanStatus.SUCCEEDED)
    return scans.order_by("-started_at", "-pk").first()


def repo_scans_recent(*, limit: int = 10) -> QuerySet[RepoScan]:
    """The newest `limit` succeeded scans, newest first."""
    return RepoScan.objects.filter(status=ScanStatus.SUCCEEDED).order_by(
        "-started_at", "-pk")[:limit]


def repo_scan_trend(*, limit: int = 10) -> list[dict]:
    """The numbers of the last `limit` succeeded scans, oldest first, each with the
    change from the scan before it ({"field": (value, delta or None)})."""
    rows = list(reversed(repo_scans_recent(limit=limit)))
    trend, previous = [], None
    for scan in rows:
        numbers = {f: getattr(scan, f) for f in TREND_FIELDS}
        trend.append({"scan": scan, "numbers": {
            f: (v, None if previous is None else v - previous[f]) for f, v in numbers.items()}})
        previous = numbers
    return trend


def repo_sleep_hot_spots(scan: RepoScan, *, limit: int = 20) -> list[tuple[str, int]]:
    """The files with the most sleep() calls, most first."""
    return sorted(scan.sleep_by_file.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def repo_top_lint_rules(scan: RepoScan, *, limit: int = 20) -> list[tuple[str, int]]:
    return sorted(scan.lint_by_rule.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
