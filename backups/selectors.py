"""Reads for backups; other apps (monitoring, checklist) call only these."""

import dataclasses
import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from backups.models import (
    BackupKind,
    BackupPolicy,
    BackupRun,
    BackupStatus,
    DataStore,
    DrillVerdict,
    RestoreDrill,
)
from backups.schedules import DRILL_SCHEDULE_NAME, POLICY_DEFAULTS, SCHEDULE_NAMES

# {kind: label}, for other apps (alert rules per kind).
BACKUP_KINDS = dict(BackupKind.choices)


def backup_policy(*, kind: str) -> BackupPolicy:
    """The stored policy, or the plan's default (unsaved) before bootstrap ran."""
    policy = BackupPolicy.objects.filter(kind=kind).first()
    if policy is None:
        seconds, grace, keep_last, keep_days = POLICY_DEFAULTS[kind]
        policy = BackupPolicy(kind=kind, schedule_seconds=seconds, grace_seconds=grace,
                              keep_last=keep_last, keep_days=keep_days)
    return policy


def _portal_runs() -> QuerySet:
    """The portal's own runs: the bot's data stores have their own history and policy."""
    return BackupRun.objects.filter(datastore_name="")


def backup_last_success(*, kind: str) -> BackupRun | None:
    return (_portal_runs().filter(kind=kind, status=BackupStatus.SUCCEEDED,
                                  pruned_at__isnull=True)
            .order_by("-finished_at", "-id").first())


def backup_last_finished(*, kind: str) -> BackupRun | None:
    """The newest run of kind that ended, succeeded or failed (reaped runs included)."""
    return (_portal_runs().filter(kind=kind,
                                  status__in=[BackupStatus.SUCCEEDED, BackupStatus.FAILED])
            .order_by("-finished_at", "-id").first())


def backup_failures() -> dict[str, BackupRun]:
    """{kind: its failed run} for each kind whose newest finished run failed: the failure
    stands until a later run of that kind succeeds.

    A data store's runs count under their kind (database, or wallet_keys for folders),
    per store: a store whose newest finished run failed raises that kind's alert until
    it succeeds again, whatever the portal's own runs do.
    """
    failures = {}
    for kind in BackupKind.values:
        last = backup_last_finished(kind=kind)
        if last is not None and last.status == BackupStatus.FAILED:
            failures[kind] = last
    for store in DataStore.objects.filter(enabled=True):
        last = datastore_last_finished(datastore=store)
        if last is not None and last.status == BackupStatus.FAILED:
            failures.setdefault(last.kind, last)
    return failures


# --- The bot's data stores ----------------------------------------------------------

def datastores_list(*, kind: str | None = None, enabled: bool | None = None) -> QuerySet:
    stores = DataStore.objects.all()
    if kind:
        stores = stores.filter(kind=kind)
    if enabled is not None:
        stores = stores.filter(enabled=enabled)
    return stores.order_by("name")


def datastore_get(*, name: str) -> DataStore | None:
    return DataStore.objects.filter(name=name).first()


def datastore_last_success(*, datastore: DataStore) -> BackupRun | None:
    return (BackupRun.objects.filter(datastore=datastore, status=BackupStatus.SUCCEEDED,
                                     pruned_at__isnull=True)
            .order_by("-finished_at", "-id").first())


def datastore_last_finished(*, datastore: DataStore) -> BackupRun | None:
    return (BackupRun.objects.filter(datastore=datastore,
                                     status__in=[BackupStatus.SUCCEEDED, BackupStatus.FAILED])
            .order_by("-finished_at", "-id").first())


def datastore_last_drill(*, datastore: DataStore, passed_only: bool = False
                         ) -> RestoreDrill | None:
    drills = RestoreDrill.objects.filter(datastore=datastore).exclude(
        verdict=DrillVerdict.RUNNING)
    if passed_only:
        drills = drills.filter(verdict=DrillVerdict.PASSED)
    return drills.order_by("-finished_at", "-id").first()


@dataclasses.dataclass(frozen=True)
class DataStoreSummary:
    """What the checklist reads of a store (names and kinds, never its URL or path)."""

    name: str
    kind: str
    enabled: bool
    last_drill: RestoreDrill | None


def datastore_summaries(*, enabled_only: bool = True) -> list[DataStoreSummary]:
    stores = datastores_list(enabled=True if enabled_only else None)
    return [DataStoreSummary(name=s.name, kind=s.kind, enabled=s.enabled,
                             last_drill=datastore_last_drill(datastore=s, passed_only=True))
            for s in stores]


def datastore_identities() -> list[dict]:
    """{name, kind, ref}: ref is the database name or the file/folder name, what a code
    scan of the bot would find in its source (no credentials: the URL's path only)."""
    out = []
    for store in datastores_list(enabled=True):
        if store.kind == "postgresql":
            ref = store.url.rsplit("/", 1)[-1].split("?", 1)[0]
        else:
            ref = store.path.rstrip("/").rsplit("/", 1)[-1]
        out.append({"name": store.name, "kind": store.kind, "ref": ref})
    return out


def _ago(delta: datetime.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"


@dataclasses.dataclass(frozen=True)
class BackupFreshness:
    """The one backup-freshness rule: the last successful run of a kind is fresh while
    it is younger than its schedule plus grace. /health, the alert rules' state and
    the checklist all read it from here."""

    kind: str
    last: BackupRun | None
    age: datetime.timedelta | None  # None: no successful run yet
    limit: datetime.timedelta | None  # schedule + grace; None (not read) without a run

    @property
    def fresh(self) -> bool:
        return self.age is not None and self.limit is not None and self.age <= self.limit


def backup_freshness(*, kind: str, now: datetime.datetime | None = None) -> BackupFreshness:
    now = now or timezone.now()
    last = backup_last_success(kind=kind)
    if last is None or last.finished_at is None:
        return BackupFreshness(kind=kind, last=last, age=None, limit=None)
    policy = backup_policy(kind=kind)
    limit = datetime.timedelta(seconds=policy.schedule_seconds + policy.grace_seconds)
    return BackupFreshness(kind=kind, last=last, age=now - last.finished_at, limit=limit)


def backup_is_fresh(*, kind: str, now: datetime.datetime | None = None) -> tuple[bool, str]:
    """backup_freshness with its one-line reason."""
    state = backup_freshness(kind=kind, now=now)
    if state.age is None or state.limit is None:
        return False, f"no successful {kind} backup yet"
    if not state.fresh:
        return False, (f"last {kind} backup {_ago(state.age)} ago, over its "
                       f"{_ago(state.limit)} limit")
    return True, f"last {kind} backup {_ago(state.age)} ago"


def restore_drill_last(*, passed_only: bool = False) -> RestoreDrill | None:
    """The portal's own newest drill (a drill of the bot's stores proves only that store)."""
    drills = RestoreDrill.objects.filter(datastore_name="").exclude(verdict=DrillVerdict.RUNNING)
    if passed_only:
        drills = drills.filter(verdict=DrillVerdict.PASSED)
    return drills.select_related("run").order_by("-finished_at", "-id").first()


def backup_schedules_enabled() -> dict[str, bool]:
    """{kind: its periodic task exists and is enabled}."""
    enabled = dict(PeriodicTask.objects.filter(name__in=SCHEDULE_NAMES.values())
                   .values_list("name", "enabled"))
    return {kind: enabled.get(SCHEDULE_NAMES[kind], False) for kind in BackupKind.values}


def restore_drill_schedule_enabled() -> bool:
    return PeriodicTask.objects.filter(name=DRILL_SCHEDULE_NAME, enabled=True).exists()


def backup_runs_list(*, kind: str | None = None, status: str | None = None) -> QuerySet:
    runs = BackupRun.objects.all()
    if kind:
        runs = runs.filter(kind=kind)
    if status:
        runs = runs.filter(status=status)
    return runs.order_by("-created_at", "-id")


def restore_drills_list(*, verdict: str | None = None) -> QuerySet:
    drills = RestoreDrill.objects.select_related("run")
    if verdict:
        drills = drills.filter(verdict=verdict)
    return drills.order_by("-started_at", "-id")
