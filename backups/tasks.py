"""Thin Celery tasks: primary keys in, one service call, a summary string out."""

from celery import shared_task

from .models import BackupRun
from .services import backup_run_execute, backup_scheduled_run, restore_drill_run


@shared_task
def backup_run_execute_task(run_id: int) -> str:
    run = backup_run_execute(run=BackupRun.objects.get(pk=run_id))
    return f"backup {run.kind} #{run.pk} {run.status}"


@shared_task
def backup_scheduled(kind: str) -> str:
    return backup_scheduled_run(kind=kind)


@shared_task
def restore_drill_task(run_id: int | None = None, trigger: str = "schedule") -> str:
    run = BackupRun.objects.get(pk=run_id) if run_id else None
    drill = restore_drill_run(run=run, trigger=trigger)
    return f"restore drill #{drill.pk} {drill.verdict} in {drill.duration_seconds:.1f} s"
