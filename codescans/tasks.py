"""Thin Celery task: a scan's primary key (or none: a new scheduled scan) in, a summary out."""

from celery import shared_task
from django.conf import settings

from codescans.models import RepoScan
from codescans.services import RepoScanError, repo_scan_execute, repo_scan_run

_LIMITS = {"soft_time_limit": settings.BOT_REPO_SCAN_TIMEOUT_SECONDS + 60,
           "time_limit": settings.BOT_REPO_SCAN_TIMEOUT_SECONDS + 120}


@shared_task(**_LIMITS)
def repo_scan_task(scan_id: int | None = None, trigger: str = "schedule") -> str:
    if scan_id:
        scan = repo_scan_execute(scan=RepoScan.objects.get(pk=scan_id))
    else:
        try:
            scan = repo_scan_run(trigger=trigger)
        except RepoScanError as exc:  # not configured: nothing to record
            return f"repo scan skipped: {exc}"
    return f"repo scan #{scan.pk} {scan.status}"
