"""The registry of the bot's data stores: writes, their beat schedules, backups and drills.

Every write goes through here (API, admin, bootstrap) so a store's schedules always
follow it: created with it, re-timed and enabled/disabled with it, removed with it.
An explicit call after the save rather than a post_save signal: a queryset update()
or a fixture load would skip a signal silently.
"""

from django.db import transaction
from django_celery_beat.models import PeriodicTask

from backups.models import BackupRun, DataStore, RestoreDrill
from backups.schedules import (
    DATASTORE_DRILL_PREFIX,
    DATASTORE_DRILL_SECONDS,
    DATASTORE_SCHEDULE_DEFAULTS,
    DATASTORE_SCHEDULE_PREFIX,
    datastore_schedules,
)
from backups.selectors import datastore_get
from backups.services.common import BackupError, Progress
from backups.services.drills import restore_drill_run
from backups.services.retention import datastore_runs_prune
from backups.services.runs import backup_run_now
from common.beat import period_claim
from common.scheduling import periodic_task_upsert

EDITABLE = ("kind", "url", "path", "schedule_seconds", "keep_last", "keep_days", "owner",
            "enabled")


def datastore_schedules_sync(*, store: DataStore) -> int:
    """Upsert the store's backup and drill schedules; they are enabled while it is.
    Returns how many were created."""
    created = 0
    for schedule in datastore_schedules(name=store.name, every_seconds=store.schedule_seconds):
        created += periodic_task_upsert(schedule=schedule)
        PeriodicTask.objects.filter(name=schedule.name).exclude(enabled=store.enabled).update(
            enabled=store.enabled)
    return created


def _save(store: DataStore) -> DataStore:
    if not store.schedule_seconds:
        store.schedule_seconds = DATASTORE_SCHEDULE_DEFAULTS.get(store.kind, 0)
    store.full_clean()
    with transaction.atomic():
        store.save()
        datastore_schedules_sync(store=store)
    return store


def datastore_create(*, name: str, kind: str, url: str = "", path: str = "",
                     schedule_seconds: int | None = None, keep_last: int = 8,
                     keep_days: int = 7, owner: str = "", enabled: bool = True) -> DataStore:
    """Register a store (validated per kind) with its schedules."""
    return _save(DataStore(name=name, kind=kind, url=url, path=path,
                           schedule_seconds=schedule_seconds or 0, keep_last=keep_last,
                           keep_days=keep_days, owner=owner, enabled=enabled))


def datastore_update(*, store: DataStore, **changes) -> DataStore:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise BackupError(f"cannot change {', '.join(sorted(unknown))} of a data store")
    for field, value in changes.items():
        setattr(store, field, value)
    return _save(store)


def datastore_saved(*, store: DataStore) -> DataStore:
    """After the admin saved a store (validated by its form): default and schedules."""
    return _save(store)


def datastore_delete(*, store: DataStore) -> None:
    """Remove the store and its schedules; its runs and drills stay, named, as history."""
    with transaction.atomic():
        PeriodicTask.objects.filter(name__in=[f"{DATASTORE_SCHEDULE_PREFIX}{store.name}",
                                              f"{DATASTORE_DRILL_PREFIX}{store.name}"]).delete()
        store.delete()


def datastores_bootstrap() -> list[str]:
    """Idempotent: the schedules of every registered store."""
    stores = list(DataStore.objects.order_by("name"))
    created = sum(datastore_schedules_sync(store=s) for s in stores)
    return [f"data store schedules: {2 * len(stores)} for {len(stores)} store(s) "
            f"({created} new)"]


def datastore_by_name(name: str) -> DataStore:
    store = datastore_get(name=name)
    if store is None:
        raise BackupError(f"no data store named {name!r} (see /api/v1/datastores)")
    return store


def datastore_backup_now(*, store: DataStore, trigger: str = "command",
                         progress: Progress | None = None) -> BackupRun:
    """One backup of the store in this process, recorded as a backup run."""
    return backup_run_now(datastore=store, trigger=trigger,
                          progress=progress or Progress(label=store.name))


def datastore_drill_now(*, store: DataStore, trigger: str = "command",
                        progress: Progress | None = None) -> RestoreDrill:
    return restore_drill_run(datastore=store, trigger=trigger, progress=progress)


def datastore_scheduled_backup(*, name: str) -> str:
    """The scheduled task's body: back up, then the store's retention."""
    store = datastore_by_name(name)
    if not store.enabled:
        return f"data store {name} is disabled: no backup"
    if not period_claim(key=f"backup datastore {name}", every_seconds=store.schedule_seconds):
        return f"data store {name}: skipped, already backed up this period"
    run = datastore_backup_now(store=store, trigger="schedule")
    pruned = datastore_runs_prune(datastore=store) if run.status == "succeeded" else []
    return f"backup of data store {name} #{run.pk} {run.status}; pruned {len(pruned)}"


def datastore_scheduled_drill(*, name: str) -> str:
    store = datastore_by_name(name)
    if not store.enabled:
        return f"data store {name} is disabled: no drill"
    if not period_claim(key=f"restore drill datastore {name}",
                        every_seconds=DATASTORE_DRILL_SECONDS):
        return f"data store {name}: skipped, already drilled this period"
    drill = datastore_drill_now(store=store, trigger="schedule")
    return (f"restore drill of data store {name} #{drill.pk} {drill.verdict} in "
            f"{drill.duration_seconds or 0:.1f} s")


def datastores_back_up_all(*, trigger: str) -> list[BackupRun]:
    """A backup of every enabled store now (the launch-day T-12h step)."""
    return [datastore_backup_now(store=s, trigger=trigger)
            for s in DataStore.objects.filter(enabled=True).order_by("name")]
