import datetime

import pytest
from django.utils import timezone

from backups.models import BackupRun, BackupStatus, DrillVerdict, RestoreDrill
from backups.services import backups_bootstrap

pytestmark = pytest.mark.django_db


def test_post_starts_a_backup_after_commit_and_answers_202_with_the_run(
        write_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = write_client.post("/api/v1/backups", {"kind": "config"}, format="json")
    assert response.status_code == 202, response.content
    run = BackupRun.objects.get(pk=response.json()["id"])
    assert run.status == BackupStatus.QUEUED and run.trigger == "api"
    assert response.json()["status"] == "queued"
    assert len(callbacks) == 1  # the Celery task is enqueued only once the run is committed


def test_post_rejects_an_unknown_kind_with_400(write_client):
    response = write_client.post("/api/v1/backups", {"kind": "everything"}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()
    assert not BackupRun.objects.exists()


def test_post_needs_the_write_scope(read_client):
    response = read_client.post("/api/v1/backups", {"kind": "config"}, format="json")
    assert response.status_code == 403


def test_get_lists_runs_newest_first_with_filters(read_client, api,
                                                  django_assert_max_num_queries):
    now = timezone.now()
    BackupRun.objects.create(kind="database", status="succeeded", finished_at=now,
                             size_bytes=1024, sha256="a" * 64)
    BackupRun.objects.create(kind="config", status="failed", error="disk full")
    with django_assert_max_num_queries(4):
        body = read_client.get("/api/v1/backups").json()
    assert [r["kind"] for r in body["results"]] == ["config", "database"]
    assert read_client.get("/api/v1/backups?kind=database").json()["count"] == 1
    failed = read_client.get("/api/v1/backups?status=failed").json()["results"]
    assert failed[0]["error"] == "disk full"
    assert api.get("/api/v1/backups").status_code == 401


@pytest.mark.parametrize("url", ["/api/v1/backups?kind=disk", "/api/v1/backups?status=",
                                 "/api/v1/restore-drills?verdict=maybe"])
def test_an_unknown_or_empty_filter_is_a_400_not_an_empty_or_full_list(read_client, url):
    response = read_client.get(url)
    assert response.status_code == 400, response.content
    assert url.rsplit("?", 1)[1].split("=")[0] in response.json()


def test_get_restore_drills_shows_duration_and_verdict(read_client):
    run = BackupRun.objects.create(kind="database", status="succeeded")
    RestoreDrill.objects.create(run=run, verdict=DrillVerdict.PASSED, duration_seconds=12.5,
                                finished_at=timezone.now())
    RestoreDrill.objects.create(verdict=DrillVerdict.FAILED, reason="checksum mismatch")
    body = read_client.get("/api/v1/restore-drills").json()
    assert body["count"] == 2
    by_verdict = {d["verdict"]: d for d in body["results"]}
    assert by_verdict["passed"]["duration_seconds"] == 12.5
    assert by_verdict["passed"]["run_kind"] == "database"
    assert by_verdict["failed"]["reason"] == "checksum mismatch"
    assert read_client.get("/api/v1/restore-drills?verdict=failed").json()["count"] == 1


@pytest.fixture
def admin_client_boss(client, portal_admin):
    client.force_login(portal_admin)
    return client


def test_admin_pages_of_every_backup_model_render(admin_client_boss):
    backups_bootstrap()
    run = BackupRun.objects.create(kind="database", status="succeeded", size_bytes=5 * 2**20,
                                   started_at=timezone.now() - datetime.timedelta(seconds=3),
                                   finished_at=timezone.now())
    drill = RestoreDrill.objects.create(run=run, verdict="passed", duration_seconds=4.2)
    for url in ("/admin/backups/backuprun/", "/admin/backups/backuprun/?q=abc",
                f"/admin/backups/backuprun/{run.pk}/change/",
                "/admin/backups/backuppolicy/", "/admin/backups/restoredrill/",
                "/admin/backups/restoredrill/?verdict__exact=passed",
                f"/admin/backups/restoredrill/{drill.pk}/change/"):
        response = admin_client_boss.get(url)
        assert response.status_code == 200, url
    listing = admin_client_boss.get("/admin/backups/backuprun/").content.decode()
    assert "5.0 MB" in listing and "3.0 s" in listing
    assert "4.2 s" in admin_client_boss.get("/admin/backups/restoredrill/").content.decode()


def test_the_back_up_now_admin_action_queues_a_run_per_selected_kind(
        admin_client_boss, django_capture_on_commit_callbacks):
    backups_bootstrap()
    from backups.models import BackupPolicy
    ids = list(BackupPolicy.objects.filter(kind__in=["config", "logs"])
               .values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client_boss.post("/admin/backups/backuppolicy/", {
            "action": "back_up_now", "_selected_action": ids}, follow=True)
    assert "2 backup(s) queued" in response.content.decode()
    assert sorted(BackupRun.objects.values_list("kind", flat=True)) == ["config", "logs"]
    assert len(callbacks) == 2


def test_the_drill_admin_action_queues_drills_for_successful_runs_only(
        admin_client_boss, django_capture_on_commit_callbacks):
    good = BackupRun.objects.create(kind="database", status="succeeded")
    bad = BackupRun.objects.create(kind="database", status="failed")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client_boss.post("/admin/backups/backuprun/", {
            "action": "drill_selected", "_selected_action": [good.pk, bad.pk]}, follow=True)
    assert "1 restore drill(s) queued" in response.content.decode()
    assert len(callbacks) == 1
