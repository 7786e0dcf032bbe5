"""Reads of repository scans and of the CI's evidence (the launch checklist reads
them through here)."""

from django.db.models import Q, QuerySet

from codescans.models import CodeReview, CoverageReport, RepoScan, ScanStatus, TestReport

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


# --- Evidence from the bot's CI (issue 17.2) -------------------------------------------

def coverage_latest() -> CoverageReport | None:
    """The newest coverage report received, or None."""
    return CoverageReport.objects.order_by("-received_at", "-pk").first()


def test_report_latest() -> TestReport | None:
    """The newest test report received, or None."""
    return TestReport.objects.order_by("-received_at", "-pk").first()


test_report_latest.__test__ = False  # type: ignore[attr-defined]  # pytest: not a test


def code_review_latest() -> CodeReview | None:
    """The newest code review received, or None."""
    return CodeReview.objects.order_by("-received_at", "-pk").first()


def _same_commit(commit: str) -> Q:
    """A SHA given short or long: the stored one starts with it, or it with the stored
    one (the CI may send either length; git's 7 characters at the least)."""
    commit = commit.strip().lower()
    candidates = {commit[:n] for n in range(7, len(commit) + 1)}
    return Q(commit__startswith=commit) | Q(commit__in=candidates)


def code_review_for_commit(commit: str) -> CodeReview | None:
    """The newest review of this commit (prefix match either way), or None."""
    if len(commit.strip()) < 7:
        return None
    return CodeReview.objects.filter(_same_commit(commit)).order_by(
        "-received_at", "-pk").first()


def coverage_reports_list(*, commit: str | None = None) -> QuerySet[CoverageReport]:
    rows = CoverageReport.objects.order_by("-received_at", "-pk")
    return rows.filter(_same_commit(commit)) if commit else rows


def test_reports_list(*, commit: str | None = None) -> QuerySet[TestReport]:
    rows = TestReport.objects.order_by("-received_at", "-pk")
    return rows.filter(_same_commit(commit)) if commit else rows


test_reports_list.__test__ = False  # type: ignore[attr-defined]


def code_reviews_list(*, commit: str | None = None) -> QuerySet[CodeReview]:
    rows = CodeReview.objects.order_by("-received_at", "-pk")
    return rows.filter(_same_commit(commit)) if commit else rows
