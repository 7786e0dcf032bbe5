"""Retention: keep the newest N successful runs and everything younger than D days."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from backups.models import BackupRun, BackupStatus, DataStore
from backups.selectors import backup_policy
from backups.services.common import storage_delete


def _prune(runs: QuerySet, *, keep_last: int, keep_days: int,
           now: datetime.datetime) -> list[int]:
    ordered = list(runs.filter(status=BackupStatus.SUCCEEDED, pruned_at__isnull=True)
                   .order_by("-finished_at", "-id"))
    cutoff = now - datetime.timedelta(days=keep_days)
    keep = {r.pk for r in ordered[:keep_last]} | {r.pk for r in ordered
                                                  if r.finished_at and r.finished_at >= cutoff}
    pruned = []
    for run in ordered:
        if run.pk in keep:
            continue
        storage_delete(run.storage_name)
        BackupRun.objects.filter(pk=run.pk).update(pruned_at=now)
        pruned.append(run.pk)
    return pruned


def backup_runs_prune(*, kind: str, now: datetime.datetime | None = None) -> list[int]:
    """Delete the archives retention no longer keeps; the run records stay, marked pruned.

    The portal's own runs of kind; each data store has its own retention.
    """
    policy = backup_policy(kind=kind)
    return _prune(BackupRun.objects.filter(kind=kind, datastore_name=""),
                  keep_last=policy.keep_last, keep_days=policy.keep_days,
                  now=now or timezone.now())


def datastore_runs_prune(*, datastore: DataStore,
                         now: datetime.datetime | None = None) -> list[int]:
    return _prune(BackupRun.objects.filter(datastore=datastore),
                  keep_last=datastore.keep_last, keep_days=datastore.keep_days,
                  now=now or timezone.now())
