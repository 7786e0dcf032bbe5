"""scan_bot_repo, the Celery task, the daily schedule and the admin pages and button."""

import pytest
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from codescans.models import RepoScan
from codescans.schedules import SCHEDULE_NAME
from codescans.services import codescans_bootstrap, repo_scan_run
from codescans.tasks import repo_scan_task

pytestmark = pytest.mark.django_db


def test_the_command_scans_and_prints_a_summary(bot_repo, capsys):
    call_command("scan_bot_repo")
    out, err = capsys.readouterr()
    scan = RepoScan.objects.get()
    assert scan.trigger == "command" and scan.status == "succeeded"
    assert f"repo scan #{scan.pk} succeeded" in out
    assert "7 Python files, 1242 lines, 1 over 1000 lines" in out
    assert "5 sleep() calls in 1 files" in out
    assert "lint (E,F,W,B): 4" in out and "security (S): 2 (high 2)" in out
    assert "2 data store reference(s), 1 unparsable, 6 skipped" in out
    assert "read 7 Python files" in err and "analysed 7 files" in err  # progress


def test_the_command_takes_another_repository(tmp_path, settings, capsys):
    settings.BOT_REPO_DIR = ""
    (tmp_path / "a.py").write_text("x = 1\n")
    call_command("scan_bot_repo", "--repo", str(tmp_path))
    assert "1 Python files, 1 lines" in capsys.readouterr().out


def test_the_command_without_a_repository_is_a_one_line_error(settings, tmp_path):
    settings.BOT_REPO_DIR = ""
    with pytest.raises(CommandError, match="^BOT_REPO_DIR is not set"):
        call_command("scan_bot_repo")
    with pytest.raises(CommandError, match="is not a directory"):
        call_command("scan_bot_repo", "--repo", str(tmp_path / "missing"))
    assert not RepoScan.objects.exists()


def test_the_task_runs_a_queued_scan_or_a_scheduled_one(bot_repo, settings):
    queued = RepoScan.objects.create(repo_dir=str(bot_repo), trigger="admin")
    assert repo_scan_task(scan_id=queued.pk) == f"repo scan #{queued.pk} succeeded"
    queued.refresh_from_db()
    assert queued.sleep_calls == 5
    summary = repo_scan_task()
    assert RepoScan.objects.latest("pk").trigger == "schedule"
    assert summary.endswith("succeeded")
    settings.BOT_REPO_DIR = ""
    assert repo_scan_task().startswith("repo scan skipped: BOT_REPO_DIR is not set")


def test_bootstrap_upserts_a_daily_schedule_and_keeps_the_operators_toggle(capsys):
    assert codescans_bootstrap() == ["repo scan schedules: 1 (1 new)"]
    task = PeriodicTask.objects.get(name=SCHEDULE_NAME)
    assert task.task == "codescans.tasks.repo_scan_task"
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "3", "*")
    task.enabled = False
    task.save()
    call_command("bootstrap")
    assert "repo scan schedules: 1 (0 new)" in capsys.readouterr().out
    assert PeriodicTask.objects.get(name=SCHEDULE_NAME).enabled is False


@pytest.fixture
def boss(client, portal_admin):
    client.force_login(portal_admin)
    return client


def test_the_admin_lists_scans_with_a_trend_and_shows_the_drill_down(boss, bot_repo):
    first = repo_scan_run()
    (bot_repo / "bot" / "more.py").write_text("import time\ntime.sleep(1)\n")
    second = repo_scan_run()
    RepoScan.objects.create(repo_dir=str(bot_repo), trigger="admin", status="failed",
                            error="ruff did not run")
    base = "/admin/codescans/reposcan/"
    for url in (base, f"{base}?status__exact=failed", f"{base}?q=ruff",
                f"{base}{first.pk}/change/"):
        assert boss.get(url).status_code == 200, url
    listing = boss.get("/admin/codescans/reposcan/").content.decode()
    assert first.commit[:12] in listing
    assert 'id="repo-scan-trend"' in listing and "last 2 successful scans" in listing
    assert "<td>8 (+1)</td>" in listing  # python_files: one file more
    assert "<td>6 (+1)</td>" in listing  # sleep_calls
    assert "Scan the bot repository now" in listing
    page = boss.get(f"/admin/codescans/reposcan/{second.pk}/change/").content.decode()
    for text in ("bot/big.py", "1200", "bot/sleepy.py", "bot/more.py", "E711",
                 "postgres://bot:********@db.internal:5432/trades", "bot/store.py:3",
                 "bot/store.py:12", "bot/broken.py", "line 1: invalid syntax",
                 "not UTF-8 (byte 5)", "symlink out of the tree (not followed)",
                 "vendored folder", "binary (NUL bytes)"):
        assert text in page, text
    assert "hunter2" not in page
    assert page.index("bot/sleepy.py</td><td>5") < page.index("bot/more.py</td><td>1")
    assert boss.get("/admin/codescans/reposcan/add/").status_code == 403


def test_the_scan_button_queues_the_task_after_commit(boss, bot_repo,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = boss.post("/admin/codescans/reposcan/scan-now/", follow=True)
    scan = RepoScan.objects.get()
    assert f"Repo scan #{scan.pk} queued" in response.content.decode()
    assert (scan.status, scan.trigger) == ("running", "admin")
    assert len(callbacks) == 1
    assert boss.get("/admin/codescans/reposcan/scan-now/").status_code == 405


def test_the_scan_button_without_a_repository_says_so(boss, settings,
                                                      django_capture_on_commit_callbacks):
    settings.BOT_REPO_DIR = ""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = boss.post("/admin/codescans/reposcan/scan-now/", follow=True)
    assert "Not scanned: BOT_REPO_DIR is not set" in response.content.decode()
    assert not callbacks and not RepoScan.objects.exists()


def test_a_viewer_sees_scans_but_gets_no_button(client, roles, bot_repo):
    from django.contrib.auth.models import Group, User

    viewer = User.objects.create_user("v", password="x", is_staff=True)
    viewer.groups.add(Group.objects.get(name="Viewer"))
    client.force_login(viewer)
    listing = client.get("/admin/codescans/reposcan/")
    assert listing.status_code == 200
    assert "Scan the bot repository now" not in listing.content.decode()
    assert client.post("/admin/codescans/reposcan/scan-now/").status_code == 403


@pytest.mark.django_db
def test_a_scan_whose_process_died_is_failed_by_the_minute_loop(settings, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    from codescans.models import RepoScan
    from codescans.services import repo_scan_create, repo_scan_execute
    from opsportal import minute

    settings.BOT_REPO_DIR = str(tmp_path)
    settings.BOT_REPO_SCAN_TIMEOUT_SECONDS = 60
    dead = repo_scan_create(trigger="admin")
    RepoScan.objects.filter(pk=dead.pk).update(started_at=timezone.now() - timedelta(minutes=3))
    alive = repo_scan_create(trigger="admin")
    lines = minute.step_repo_scans(now=timezone.now())
    assert lines == [f"codescans: repo scan #{dead.pk} marked failed: no result within 120 s: "
                     "the scanning process died or hung (BOT_REPO_SCAN_TIMEOUT_SECONDS)"]
    assert RepoScan.objects.get(pk=alive.pk).status == "running"
    # The dead scan's process coming back late does not turn it succeeded.
    late = repo_scan_execute(scan=RepoScan.objects.get(pk=dead.pk))
    assert late.status == "failed" and "died or hung" in late.error
