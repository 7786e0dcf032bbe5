"""Numbers other apps measure, read through their public selectors only."""

from datetime import timedelta

from django.conf import settings

from codescans.freshness import Freshness, evidence_freshness
from codescans.selectors import repo_scan_latest
from monitoring.selectors import metrics_current
from monitoring.selectors.metrics import metric_lookup


def metrics_now() -> dict:
    """The /metrics JSON as a dict (rates over empty windows are None)."""
    return dict(metrics_current())


def metric_value(metrics: dict | None, dotted_key: str):
    """metrics["confirmation_ms"]["p95"] for "confirmation_ms.p95"; None when absent."""
    return metric_lookup(metrics, dotted_key)


def bot_repo_scan(*, now) -> tuple[object | None, Freshness | None, str]:
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
        max_age=timedelta(hours=settings.BOT_REPO_SCAN_MAX_AGE_HOURS), now=now)
    return scan, freshness, label
