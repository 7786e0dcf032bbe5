"""A real backup and restore drill (through the backups app) tick the matching items."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from backups.models import BackupRun, RestoreDrill
from backups.services import backup_run_now, backups_bootstrap, restore_drill_run
from backups.tasks import backup_scheduled
from checklist.models import ChecklistItem, ChecklistItemEvent, ItemStatus, LaunchStep, StepStatus
from checklist.services.launch import (
    launch_ensure,
    launch_schedule,
    launch_step_run,
    launch_steps_run_due,
)
from checklist.services.verification import checklist_verify

pytestmark = pytest.mark.django_db


def item(key):
    return ChecklistItem.objects.get(key=key)


@pytest.fixture
def backed_up(plan, backup_env):
    backups_bootstrap()
    # What beat runs: the schedule's own task (a manual backup does not count as automated).
    for kind in ["database", "wallet_keys", "config", "logs"]:
        backup_scheduled(kind)
    runs = {run.kind: run for run in BackupRun.objects.all()}
    assert {r.status for r in runs.values()} == {"succeeded"}, [r.error for r in runs.values()]
    drill = restore_drill_run(run=runs["database"])
    assert drill.verdict == "passed", drill.reason
    return runs, drill


def test_a_real_backup_and_drill_then_verify_checklist_tick_the_backup_items(backed_up):
    runs, drill = backed_up
    out = io.StringIO()
    call_command("verify_checklist", stdout=out)
    automated = item("infra-backups-automated")
    assert automated.status == ItemStatus.DONE
    assert automated.evidence_object == runs["database"]
    assert "every schedule enabled" in automated.evidence_note
    for key in ["exit-backup-recovery"]:
        tested = item(key)
        assert tested.status == ItemStatus.DONE
        assert tested.evidence_object == drill
        assert tested.evidence_label == str(drill)
    assert "PASS  [Phase Exit Criteria] Backup & recovery tested" in out.getvalue()
    snapshot = item("exit-backup-recovery").verifications.get()
    assert snapshot.evidence_object == drill


def test_manual_backups_do_not_make_backups_automated(plan, backup_env):
    backups_bootstrap()
    for kind in ["database", "wallet_keys", "config", "logs"]:
        assert backup_run_now(kind=kind).status == "succeeded"
    checklist_verify()
    detail = item("infra-backups-automated").verifications.get().detail
    assert item("infra-backups-automated").status == ItemStatus.TODO
    assert detail.startswith("latest successful run not from the schedule: config (#")
    assert "database (#" in detail and ", command)" in detail


def test_a_log_backup_of_a_missing_folder_fails(backup_env, settings, tmp_path):
    settings.LOG_DIR = str(tmp_path / "no-such-logs")
    run = backup_run_now(kind="logs")
    assert run.status == "failed"
    assert "is not a directory" in run.error


def test_a_disabled_backup_schedule_turns_backups_automated_back(backed_up):
    checklist_verify()
    PeriodicTask.objects.filter(name="backup logs").update(enabled=False)
    checklist_verify()
    automated = item("infra-backups-automated")
    assert automated.status == ItemStatus.TODO
    assert automated.events.first().kind == ChecklistItemEvent.Kind.STALE
    assert "schedule disabled for: logs" in automated.events.first().note


def test_evidence_goes_stale_when_the_backup_and_drill_age(backed_up):
    checklist_verify()
    assert item("exit-backup-recovery").status == ItemStatus.DONE
    checklist_verify(now=timezone.now() + timedelta(days=8))
    assert item("infra-backups-automated").status == ItemStatus.TODO
    recovery = item("exit-backup-recovery")
    assert recovery.status == ItemStatus.TODO
    assert "older than 7 days" in recovery.events.first().note


def test_a_failed_drill_is_no_evidence(plan, backup_env):
    backups_bootstrap()
    drill = restore_drill_run()  # no backup yet: the drill fails with a reason
    assert drill.verdict == "failed"
    checklist_verify()
    result = item("exit-backup-recovery").verifications.get()
    assert not result.passed and "no passing restore drill" in result.detail
    assert result.evidence_object == drill


def test_the_t12h_step_runs_a_real_database_backup_when_due_and_records_it(plan, backup_env):
    launch, _ = launch_ensure()
    launch_at = timezone.now() + timedelta(hours=11)
    launch_schedule(launch=launch, launch_at=launch_at)
    assert launch_steps_run_due(now=launch_at - timedelta(hours=13)) == []
    lines = launch_steps_run_due()
    step = LaunchStep.objects.get(label="T-12h")
    run = BackupRun.objects.get(trigger="launch")
    assert lines == [f"V1 T-12h: done: database backup run #{run.pk} succeeded "
                     f"({run.size_bytes} bytes)"]
    assert (step.status, step.evidence_object) == (StepStatus.DONE, run)
    # claimed once: running it again does nothing
    assert launch_steps_run_due() == []
    assert "already done" in launch_step_run(step=step)
    assert BackupRun.objects.count() == 1 and not RestoreDrill.objects.exists()


def test_a_manual_step_cannot_be_run_by_the_portal(plan):
    from django.core.exceptions import ValidationError

    launch, _ = launch_ensure()
    with pytest.raises(ValidationError, match="no automation"):
        launch_step_run(step=launch.steps.get(label="T-6h"))
