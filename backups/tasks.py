"""Thin Celery tasks: primary keys in, one service call, a summary string out."""

from celery import shared_task
from django.conf import settings

from backups.models import BackupRun
from backups.schedules import DRILL_SCHEDULE_NAME, WEEK
from backups.services import (
    backup_run_execute,
    backup_scheduled_run,
    datastore_backup_now,
    datastore_by_name,
    datastore_drill_now,
    datastore_scheduled_backup,
    datastore_scheduled_drill,
    restore_drill_run,
)
from common.beat import period_claim
from common.postgresql.base import query_timeout

# A dump or restore legitimately runs far longer than the global task limit; past
# BACKUP_RUN_TIMEOUT_SECONDS the run counts as dead anyway, so that bounds the task.
_LIMITS = {"soft_time_limit": settings.BACKUP_RUN_TIMEOUT_SECONDS,
           "time_limit": settings.BACKUP_RUN_TIMEOUT_SECONDS + 60}


@shared_task(**_LIMITS)
def backup_run_execute_task(run_id: int) -> str:
    with query_timeout(None):  # dumps and restores: bounded by the task limits above
        run = backup_run_execute(run=BackupRun.objects.get(pk=run_id))
    return f"backup {run.kind} #{run.pk} {run.status}"


@shared_task(**_LIMITS)
def backup_scheduled(kind: str) -> str:
    with query_timeout(None):
        return backup_scheduled_run(kind=kind)


@shared_task(**_LIMITS)
def restore_drill_task(run_id: int | None = None, trigger: str = "schedule") -> str:
    # The weekly drill runs once a period, however many schedulers sent it.
    if trigger == "schedule" and run_id is None and not period_claim(
            key=DRILL_SCHEDULE_NAME, every_seconds=WEEK):
        return "restore drill: skipped, already run this period"
    with query_timeout(None):
        run = BackupRun.objects.get(pk=run_id) if run_id else None
        drill = restore_drill_run(run=run, trigger=trigger)
    return f"restore drill #{drill.pk} {drill.verdict} in {drill.duration_seconds:.1f} s"


@shared_task(**_LIMITS)
def datastore_backup_scheduled(name: str) -> str:
    with query_timeout(None):
        return datastore_scheduled_backup(name=name)


@shared_task(**_LIMITS)
def datastore_drill_scheduled(name: str) -> str:
    with query_timeout(None):
        return datastore_scheduled_drill(name=name)


@shared_task(**_LIMITS)
def datastore_backup_task(name: str, trigger: str = "admin") -> str:
    with query_timeout(None):
        run = datastore_backup_now(store=datastore_by_name(name), trigger=trigger)
    return f"backup of data store {name} #{run.pk} {run.status}"


@shared_task(**_LIMITS)
def datastore_drill_task(name: str, trigger: str = "admin") -> str:
    with query_timeout(None):
        drill = datastore_drill_now(store=datastore_by_name(name), trigger=trigger)
    return f"restore drill of data store {name} #{drill.pk} {drill.verdict}"
