"""Retention: keep the newest N successful runs and everything younger than D days."""

import datetime

from django.utils import timezone

from backups.models import BackupRun, BackupStatus
from backups.selectors import backup_policy
from backups.services.common import storage_delete


def backup_runs_prune(*, kind: str, now: datetime.datetime | None = None) -> list[int]:
    """Delete the archives retention no longer keeps; the run records stay, marked pruned."""
    now = now or timezone.now()
    policy = backup_policy(kind=kind)
    runs = list(BackupRun.objects.filter(kind=kind, status=BackupStatus.SUCCEEDED,
                                         pruned_at__isnull=True)
                .order_by("-finished_at", "-id"))
    cutoff = now - datetime.timedelta(days=policy.keep_days)
    keep = {r.pk for r in runs[:policy.keep_last]} | {r.pk for r in runs
                                                      if r.finished_at and r.finished_at >= cutoff}
    pruned = []
    for run in runs:
        if run.pk in keep:
            continue
        storage_delete(run.storage_name)
        BackupRun.objects.filter(pk=run.pk).update(pruned_at=now)
        pruned.append(run.pk)
    return pruned
