"""Numbers other apps measure, read through their public selectors only."""

from datetime import timedelta
from typing import Any

from django.conf import settings

from codescans.freshness import Freshness, bot_repo_head, evidence_freshness
from codescans.selectors import (
    code_review_for_commit,
    code_review_latest,
    coverage_latest,
    repo_scan_latest,
    test_report_latest,
)
from monitoring.selectors import metrics_current
from monitoring.selectors.metrics import metric_lookup
from monitoring.selectors.windows import success_window


def bot_head() -> tuple:
    """(checkout, HEAD) of the bot's repository: asked once per evaluation."""
    return bot_repo_head()


def metrics_now() -> dict:
    """The /metrics JSON as a dict (rates over empty windows are None)."""
    return dict(metrics_current())


def metric_value(metrics: dict | None, dotted_key: str):
    """metrics["confirmation_ms"]["p95"] for "confirmation_ms.p95"; None when absent."""
    return metric_lookup(metrics, dotted_key)


def success_metrics_window(*, now) -> dict:
    """The success metrics' rolling 30-day window of the bot's events and uptime."""
    return success_window(now=now)


def bot_repo_scan(*, now, head=None) -> tuple[object | None, Freshness | None, str]:
    """The newest successful scan of the bot's repository, its freshness, and a label
    ("repo scan #7 at 1a2b3c4d5e6f") for details; (None, None, why) when there is none."""
    scan = repo_scan_latest()
    if scan is None:
        why = ("no scan of the bot's repository yet (set BOT_REPO_DIR, then manage.py "
               "scan_bot_repo or the admin's Scan now)" if settings.BOT_REPO_DIR else
               "BOT_REPO_DIR is not set: the portal has no checkout of the bot to scan")
        return None, None, why
    label = f"repo scan #{scan.pk} at {scan.commit[:12] or 'no commit'}"
    freshness = evidence_freshness(
        what=label, commit=scan.commit, at=scan.finished_at or scan.started_at,
        max_age=timedelta(hours=settings.BOT_REPO_SCAN_MAX_AGE_HOURS), now=now, head=head)
    return scan, freshness, label


def ci_evidence(kind: str, *, now, head=None) -> tuple[Any, Freshness | None, str]:
    """The newest CI report of `kind` ("coverage" or "tests"), its freshness and label;
    (None, None, why) when the bot's CI has sent none."""
    report = coverage_latest() if kind == "coverage" else test_report_latest()
    if report is None:
        return None, None, (f"no {kind} report from the bot's CI yet "
                            f"(POST /api/v1/evidence/{kind})")
    label = f"{kind} report #{report.pk} at {report.commit[:12]}"
    freshness = evidence_freshness(
        what=label, commit=report.commit, at=report.received_at,
        max_age=timedelta(days=settings.CI_EVIDENCE_MAX_AGE_DAYS), now=now, head=head)
    return report, freshness, label


def code_review_current(*, now) -> tuple[object | None, Freshness | None, str]:
    """The review of the commit the bot is at (its checkout's HEAD, else the newest CI
    report's commit), its freshness and label; (None, None, why) when there is none."""
    head = bot_repo_head()
    commit = head[1]
    if not commit:
        newest = coverage_latest() or test_report_latest()
        commit = newest.commit if newest is not None else ""
    review = code_review_for_commit(commit) if commit else code_review_latest()
    if review is None:
        return None, None, (f"no code review recorded for the bot's commit {commit[:12]} "
                            f"(POST /api/v1/evidence/review)" if commit else
                            "no code review recorded (POST /api/v1/evidence/review)")
    label = f"review #{review.pk} of {review.change} at {review.commit[:12]}"
    freshness = evidence_freshness(
        what=label, commit=review.commit, at=review.received_at,
        max_age=timedelta(days=settings.CI_EVIDENCE_MAX_AGE_DAYS), now=now, head=head)
    return review, freshness, label
