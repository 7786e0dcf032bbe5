import datetime

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from backups import selectors
from backups.models import BackupPolicy, BackupRun, BackupStatus, DrillVerdict, RestoreDrill
from backups.services import backup_runs_prune, backups_bootstrap
from backups.services.runs import backup_runs_reap_stale
from backups.tasks import backup_scheduled

pytestmark = pytest.mark.django_db


def stored_run(backup_env, *, kind="config", age_days: float, status="succeeded"):
    finished = timezone.now() - datetime.timedelta(days=age_days)
    run = BackupRun.objects.create(kind=kind, status=status, finished_at=finished,
                                   started_at=finished, storage_name=f"{kind}/{age_days}.json")
    path = backup_env / "backups" / run.storage_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    return run


def test_retention_keeps_the_newest_n_and_everything_younger_than_d_days(backup_env):
    backups_bootstrap()
    BackupPolicy.objects.filter(kind="config").update(keep_last=2, keep_days=10)
    runs = {age: stored_run(backup_env, age_days=age) for age in (30, 20, 15, 5, 1)}
    failed = stored_run(backup_env, age_days=40, status="failed")
    other_kind = stored_run(backup_env, kind="logs", age_days=300)

    pruned = backup_runs_prune(kind="config")

    assert sorted(pruned) == sorted([runs[30].pk, runs[20].pk, runs[15].pk])
    for age, run in runs.items():
        run.refresh_from_db()
        kept = age in (5, 1)
        assert (backup_env / "backups" / run.storage_name).exists() is kept
        assert (run.pruned_at is None) is kept
    assert BackupRun.objects.filter(pk=failed.pk, pruned_at=None).exists()
    assert (backup_env / "backups" / other_kind.storage_name).exists()
    assert backup_runs_prune(kind="config") == []


def test_retention_keeps_the_last_n_even_when_all_are_old(backup_env):
    backups_bootstrap()
    BackupPolicy.objects.filter(kind="config").update(keep_last=2, keep_days=1)
    runs = [stored_run(backup_env, age_days=age) for age in (90, 60, 30)]
    assert backup_runs_prune(kind="config") == [runs[0].pk]


def test_bootstrap_creates_the_plans_schedules_and_policies_once():
    lines = backups_bootstrap()
    assert "backup schedules: 5 (5 new)" in lines
    intervals = {t.name: t.interval.every for t in PeriodicTask.objects.filter(
        name__in=["backup database", "backup wallet_keys", "backup config", "backup logs",
                  "restore drill"])}
    assert intervals == {"backup database": 6 * 3600, "backup wallet_keys": 86400,
                         "backup config": 86400, "backup logs": 7 * 86400,
                         "restore drill": 7 * 86400}
    BackupPolicy.objects.filter(kind="database").update(keep_last=99)
    PeriodicTask.objects.filter(name="backup logs").update(enabled=False)
    assert "backup schedules: 5 (0 new)" in backups_bootstrap()
    assert BackupPolicy.objects.get(kind="database").keep_last == 99
    assert selectors.backup_schedules_enabled() == {
        "database": True, "wallet_keys": True, "config": True, "logs": False}
    assert selectors.restore_drill_schedule_enabled()


def test_freshness_follows_the_schedule_plus_grace():
    backups_bootstrap()
    now = timezone.now()
    assert selectors.backup_is_fresh(kind="database", now=now) == (
        False, "no successful database backup yet")
    BackupRun.objects.create(kind="database", status=BackupStatus.SUCCEEDED,
                             finished_at=now - datetime.timedelta(hours=6, minutes=30))
    fresh, reason = selectors.backup_is_fresh(kind="database", now=now)
    assert fresh and "6.5 h ago" in reason
    fresh, reason = selectors.backup_is_fresh(kind="database",
                                              now=now + datetime.timedelta(hours=1))
    assert not fresh and "over its 7.0 h limit" in reason
    # A failed run is no success.
    BackupRun.objects.create(kind="database", status=BackupStatus.FAILED, finished_at=now)
    assert selectors.backup_last_success(kind="database").finished_at < now


def test_restore_drill_last_skips_running_drills_and_can_want_a_pass():
    now = timezone.now()
    passed = RestoreDrill.objects.create(verdict=DrillVerdict.PASSED, finished_at=now)
    failed = RestoreDrill.objects.create(verdict=DrillVerdict.FAILED,
                                         finished_at=now + datetime.timedelta(seconds=1))
    RestoreDrill.objects.create(verdict=DrillVerdict.RUNNING)
    assert selectors.restore_drill_last() == failed
    assert selectors.restore_drill_last(passed_only=True) == passed


def test_runs_older_than_the_timeout_are_reaped(settings):
    settings.BACKUP_RUN_TIMEOUT_SECONDS = 60
    old = BackupRun.objects.create(kind="config", status=BackupStatus.QUEUED)
    BackupRun.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=5))
    fresh = BackupRun.objects.create(kind="config", status=BackupStatus.QUEUED)
    assert backup_runs_reap_stale() == 1
    assert BackupRun.objects.get(pk=old.pk).status == BackupStatus.FAILED
    assert BackupRun.objects.get(pk=fresh.pk).status == BackupStatus.QUEUED


def test_the_scheduled_task_backs_up_then_applies_retention_once_a_period(backup_env):
    backups_bootstrap()
    first = backup_scheduled(kind="config")
    assert first.startswith("backup config #") and "succeeded; pruned 0" in first
    # A second dispatch of the same period (a second scheduler): nothing is backed up.
    assert backup_scheduled(kind="config") == "backup config: skipped, already run this period"
    assert BackupRun.objects.filter(kind="config").count() == 1


def test_a_task_delivered_twice_runs_the_backup_once(backup_env):
    from backups.services import backup_run_create, backup_run_execute

    run = backup_run_create(kind="config", trigger="api")
    backup_run_execute(run=run)
    again = backup_run_execute(run=BackupRun.objects.get(pk=run.pk))
    assert again.status == BackupStatus.SUCCEEDED
    assert list(run.events.values_list("to_status", flat=True)) == [
        "queued", "running", "succeeded"]


@pytest.mark.realclock
def test_staged_files_left_by_a_dead_run_are_removed_once_past_the_timeout(backup_env,
                                                                           settings):
    import os

    settings.BACKUP_RUN_TIMEOUT_SECONDS = 600
    folder = backup_env / "backups" / "database"
    folder.mkdir(parents=True)
    dead, live = folder / ".tmp-database-old.dump", folder / ".tmp-database-new.dump"
    dead.write_bytes(b"partial")
    live.write_bytes(b"being written")
    # An hour older by the directory's own clock (the test's may be faked).
    old = live.stat().st_mtime - 3600
    os.utime(dead, (old, old))
    backup_runs_reap_stale()
    assert not dead.exists() and live.exists()
