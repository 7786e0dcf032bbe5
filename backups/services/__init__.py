"""Writes and workflows for backups. Modules: runs (backup runs), drills (restore and
restore drills), retention, database and archives (the kinds), common, datastores
(the registry of the bot's data stores) and stores (their backups and drills)."""

from backups.models import BackupPolicy
from backups.schedules import POLICY_DEFAULTS, SCHEDULES
from backups.services.common import BackupError, Progress
from backups.services.datastores import (
    datastore_backup_now,
    datastore_by_name,
    datastore_create,
    datastore_delete,
    datastore_drill_now,
    datastore_saved,
    datastore_scheduled_backup,
    datastore_scheduled_drill,
    datastore_update,
    datastores_back_up_all,
    datastores_bootstrap,
)
from backups.services.drills import backup_restore, restore_drill_run
from backups.services.retention import backup_runs_prune
from backups.services.runs import (
    backup_run_create,
    backup_run_execute,
    backup_run_now,
    backup_runs_reap,
    backup_runs_reap_stale,
)
from common.beat import period_claim
from common.scheduling import periodic_task_upsert

__all__ = ["BackupError", "Progress", "backup_restore", "backup_run_create",
           "backup_run_execute", "backup_run_now", "backup_runs_prune", "backup_runs_reap",
           "backup_runs_reap_stale", "backup_scheduled_run", "backups_bootstrap",
           "datastore_backup_now", "datastore_by_name", "datastore_create", "datastore_delete",
           "datastore_drill_now", "datastore_saved", "datastore_scheduled_backup",
           "datastore_scheduled_drill", "datastore_update", "datastores_back_up_all",
           "datastores_bootstrap", "restore_drill_run"]


def backup_scheduled_run(*, kind: str) -> str:
    """One scheduled backup, then retention for its kind; a summary line.

    Claimed once per period: a second dispatch of the same period (two schedulers, an
    overlapping restart) backs up nothing."""
    policy = BackupPolicy.objects.filter(kind=kind).first()
    every = policy.schedule_seconds if policy else POLICY_DEFAULTS[kind][0]
    if not period_claim(key=f"backup {kind}", every_seconds=every):
        return f"backup {kind}: skipped, already run this period"
    run = backup_run_now(kind=kind, trigger="schedule")
    pruned = backup_runs_prune(kind=kind)
    return f"backup {kind} #{run.pk} {run.status}; pruned {len(pruned)}"


def backups_bootstrap() -> list[str]:
    """Idempotent: a policy per kind (operator edits kept) and the plan's schedules."""
    new_policies = 0
    for kind, (seconds, grace, keep_last, keep_days) in POLICY_DEFAULTS.items():
        _, created = BackupPolicy.objects.get_or_create(
            kind=kind, defaults={"schedule_seconds": seconds, "grace_seconds": grace,
                                 "keep_last": keep_last, "keep_days": keep_days})
        new_policies += created
    scheduled = [s.name for s in SCHEDULES if periodic_task_upsert(schedule=s)]
    return [f"backup policies: {len(POLICY_DEFAULTS)} ({new_policies} new)",
            f"backup schedules: {len(SCHEDULES)} ({len(scheduled)} new)",
            *datastores_bootstrap()]
