"""A run whose process died is failed by the minute loop, its partial file removed; a run
that is merely long keeps beating and stays running.

The backups are real runs in child processes (`backup_run_now`, heartbeat thread, staged
file), stalled mid-write by a progress stream nobody reads, then SIGKILLed or left alive.
"""

import datetime
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from django.utils import timezone

from alerting.services.alert_rules import alert_rules_bootstrap
from backups.models import BackupRun, BackupStatus, DrillVerdict, RestoreDrill
from backups.services.runs import archive_name
from opsportal.minute import monitor_pass, step_backups
from tests.processes import ROOT, child_env, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

STALLED_BACKUP = """
import threading, django
django.setup()
from backups.services import backup_run_now
from backups.services.common import Progress

class StalledTerminal(Progress):
    # A terminal nobody reads (a full pipe, a paused pager): the run blocks at its first
    # progress line, its archive staged but not yet checked or published.
    def line(self, text):
        threading.Event().wait()

backup_run_now(kind="config", trigger="command", progress=StalledTerminal())
"""


@pytest.fixture
def stalled_backup(backup_dir, tmp_path):
    """start() -> (process, its running run, its staged file, clock); killed at teardown.

    clock() is the time by the child's clock (its started_at plus the time elapsed since
    the claim was seen, at most a poll interval behind): the reaper compares the child's
    stamps with `now`, and the test's own clock may be faked differently.
    """
    procs, log = [], (tmp_path / "child.log").open("wb")

    def start(**env):
        proc = subprocess.Popen([sys.executable, "-c", STALLED_BACKUP], cwd=ROOT,
                                env=child_env(tmp_path, BACKUP_DIR=backup_dir, **env),
                                stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        procs.append(proc)
        run = wait_for(lambda: BackupRun.objects.filter(status=BackupStatus.RUNNING).first(),
                       60, interval=0.05, what="the child to claim its backup run")
        seen = time.monotonic()
        staged = backup_dir / "config" / f".tmp-{archive_name(run).split('/')[-1]}"
        wait_for(staged.exists, 30, what="the staged archive")
        assert run.pid == proc.pid and run.host == socket.gethostname()
        return proc, run, staged, lambda: run.started_at + datetime.timedelta(
            seconds=time.monotonic() - seen)

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
    log.close()


def kill(proc):
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)  # reaped: not a zombie any more
    assert proc.returncode == -signal.SIGKILL


def test_a_killed_backup_is_failed_by_the_next_minute_loop_which_alerts_at_once(
        stalled_backup, backup_dir):
    alert_rules_bootstrap()
    proc, run, staged, clock = stalled_backup()
    lines = monitor_pass(now=clock())
    assert not [line for line in lines if line.startswith("backups:") or "failed:" in line]

    kill(proc)
    lines = monitor_pass(now=clock())
    run.refresh_from_db()
    assert run.status == BackupStatus.FAILED and "is gone (killed or crashed)" in run.error
    assert f"backups: backup run #{run.pk} (config) marked failed: " in "\n".join(lines)
    assert "partial file removed" in "\n".join(lines)
    assert not staged.exists() and not list(backup_dir.rglob("*.json"))
    assert run.events.last().to_status == BackupStatus.FAILED
    assert "alert Configuration backup failed: firing" in lines


def test_a_dead_worker_on_another_host_is_failed_within_five_minutes_of_its_last_heartbeat(
        stalled_backup, settings):
    proc, run, staged, _ = stalled_backup(BACKUP_HEARTBEAT_SECONDS=0.2)
    kill(proc)
    # As if it ran on another machine: its pid cannot be checked, only its heartbeat.
    BackupRun.objects.filter(pk=run.pk).update(host="worker-2.example")
    run.refresh_from_db()
    last_beat = run.heartbeat_at
    assert settings.BACKUP_HEARTBEAT_TIMEOUT_SECONDS == 180  # the shipped default

    assert step_backups(now=last_beat + datetime.timedelta(minutes=2)) == []
    assert BackupRun.objects.get(pk=run.pk).status == BackupStatus.RUNNING and staged.exists()
    # The minute loop runs every minute: past 3 min of silence, the next pass fails it.
    (line,) = step_backups(now=last_beat + datetime.timedelta(minutes=4))
    assert "no heartbeat from process" in line and "for 240 s" in line
    assert "partial file removed" in line
    assert BackupRun.objects.get(pk=run.pk).status == BackupStatus.FAILED
    assert not staged.exists()


@pytest.mark.realclock
def test_a_long_backup_that_is_alive_keeps_beating_and_stays_running(stalled_backup,
                                                                      settings):
    settings.BACKUP_HEARTBEAT_TIMEOUT_SECONDS = 2
    proc, run, staged, clock = stalled_backup(BACKUP_HEARTBEAT_SECONDS=0.2)
    BackupRun.objects.filter(pk=run.pk).update(host="worker-2.example")  # heartbeat only
    long_enough = run.started_at + datetime.timedelta(seconds=3 * 2)

    def still_running_past_three_timeouts():
        assert step_backups(now=clock()) == []
        current = BackupRun.objects.get(pk=run.pk)
        assert current.status == BackupStatus.RUNNING, current.error
        return current.heartbeat_at > long_enough

    wait_for(still_running_past_three_timeouts, 30, what="the heartbeat to pass 6 s")
    assert proc.poll() is None and staged.exists()

    kill(proc)
    BackupRun.objects.filter(pk=run.pk).update(host=socket.gethostname())
    (line,) = step_backups(now=clock())  # same host: the dead pid is seen at once
    assert "is gone" in line and not staged.exists()


def test_a_dead_run_that_had_published_its_archive_leaves_no_archive(backup_dir, settings):
    started = timezone.now() - datetime.timedelta(minutes=10)
    run = BackupRun.objects.create(kind="config", status=BackupStatus.RUNNING,
                                   started_at=started, heartbeat_at=started,
                                   host="worker-2.example", pid=1)
    final = backup_dir / archive_name(run)
    final.parent.mkdir(parents=True)
    final.write_text("{}")  # published, then killed before it was recorded a success
    (line,) = step_backups(now=timezone.now())
    assert "partial file removed" in line and not final.exists()


def test_a_drill_whose_process_died_is_failed_by_its_silent_heartbeat(db):
    now = timezone.now()
    silent = RestoreDrill.objects.create(host="worker-2.example", pid=1,
                                         heartbeat_at=now - datetime.timedelta(minutes=4))
    beating = RestoreDrill.objects.create(host="worker-2.example", pid=1,
                                          heartbeat_at=now - datetime.timedelta(seconds=20))
    (line,) = step_backups(now=now)
    assert line.startswith(f"backups: restore drill #{silent.pk} marked failed: no heartbeat")
    assert RestoreDrill.objects.get(pk=silent.pk).verdict == DrillVerdict.FAILED
    assert RestoreDrill.objects.get(pk=beating.pk).verdict == DrillVerdict.RUNNING
    # The drill's own history says when and why it was failed.
    (event,) = silent.events.all()
    assert (event.from_verdict, event.to_verdict) == ("running", "failed")
    assert event.note.startswith("no heartbeat")
    assert not beating.events.exists()
