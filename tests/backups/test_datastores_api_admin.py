"""The data-store registry over HTTP and in the admin: validation per kind as clear 400s,
the URL's password never in a response or an admin page, schedules following writes."""

import pytest
from auditlog.models import LogEntry
from django_celery_beat.models import PeriodicTask

from backups.models import DataStore

pytestmark = pytest.mark.django_db

PASSWORD = "Hunter2-bot-db-secret"
PG_URL = f"postgres://bot:{PASSWORD}@db.internal:5432/trading"


def test_post_registers_each_kind_with_its_default_schedule_and_masks_the_url(
        write_client, read_client, tmp_path):
    for body in ({"name": "bot-db", "kind": "postgresql", "url": PG_URL, "owner": "ops"},
                 {"name": "bot-state", "kind": "sqlite", "path": str(tmp_path / "s.db")},
                 {"name": "bot-wallets", "kind": "files", "path": str(tmp_path / "w")}):
        response = write_client.post("/api/v1/datastores", body, format="json")
        assert response.status_code == 201, response.content
        assert PASSWORD not in response.content.decode()
    listed = read_client.get("/api/v1/datastores")
    assert listed.status_code == 200 and PASSWORD not in listed.content.decode()
    by_name = {s["name"]: s for s in listed.json()}
    assert by_name["bot-db"]["url"] == "postgres://bot:********@db.internal:5432/trading"
    assert [by_name[n]["schedule_seconds"] for n in ("bot-db", "bot-state", "bot-wallets")] \
        == [21600, 21600, 86400]
    assert by_name["bot-db"]["last_backup"] is None and by_name["bot-db"]["last_drill"] is None
    assert DataStore.objects.get(name="bot-db").url == PG_URL  # the real one, stored
    assert PeriodicTask.objects.filter(name__startswith="backup datastore ").count() == 3
    assert PeriodicTask.objects.filter(name__startswith="restore drill datastore ").count() == 3
    # Stored encrypted: the column holds no password.
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT url FROM backups_datastore WHERE name = 'bot-db'")
        assert PASSWORD not in cursor.fetchone()[0]
    assert not [e for e in LogEntry.objects.all() if PASSWORD in str(e.changes)]


@pytest.mark.parametrize("body,field,says", [
    ({"name": "a", "kind": "postgresql"}, "url", "needs a url"),
    ({"name": "a", "kind": "postgresql", "url": "mysql://h/db"}, "url", "postgres://"),
    ({"name": "a", "kind": "postgresql", "url": "postgres://h"}, "url", "database"),
    ({"name": "a", "kind": "postgresql", "url": PG_URL, "path": "/srv/x"}, "path", "not a path"),
    ({"name": "a", "kind": "sqlite", "path": "data/bot.db"}, "path", "absolute"),
    ({"name": "a", "kind": "sqlite"}, "path", "absolute path"),
    ({"name": "a", "kind": "files", "path": "/srv/w", "url": PG_URL}, "url", "not a url"),
    ({"name": "a", "kind": "redis", "path": "/x"}, "kind", "valid choice"),
    ({"name": "not a slug", "kind": "files", "path": "/x"}, "name", "letters"),
    ({"name": "a", "kind": "files", "path": "/x", "schedule_seconds": 5}, "schedule_seconds",
     "60"),
])
def test_bad_registrations_are_400s_naming_the_field(write_client, body, field, says):
    response = write_client.post("/api/v1/datastores", body, format="json")
    assert response.status_code == 400, response.content
    assert says in str(response.json()[field]), response.json()
    assert PASSWORD not in response.content.decode()
    assert not DataStore.objects.exists() and not PeriodicTask.objects.exists()


def test_a_duplicate_name_is_a_400_and_read_tokens_cannot_write(write_client, read_client):
    body = {"name": "bot-db", "kind": "postgresql", "url": PG_URL}
    assert write_client.post("/api/v1/datastores", body, format="json").status_code == 201
    again = write_client.post("/api/v1/datastores", body, format="json")
    assert again.status_code == 400 and "name" in again.json()
    assert read_client.post("/api/v1/datastores", body, format="json").status_code == 403
    assert read_client.patch("/api/v1/datastores/bot-db", {"owner": "x"},
                             format="json").status_code == 403


def test_patch_keeps_the_real_url_when_the_mask_comes_back_and_moves_the_schedule(
        write_client):
    write_client.post("/api/v1/datastores", {"name": "bot-db", "kind": "postgresql",
                                             "url": PG_URL}, format="json")
    shown = write_client.get("/api/v1/datastores/bot-db").json()
    response = write_client.patch("/api/v1/datastores/bot-db", {
        "url": shown["url"], "schedule_seconds": 3600, "enabled": False}, format="json")
    assert response.status_code == 200, response.content
    assert DataStore.objects.get().url == PG_URL
    task = PeriodicTask.objects.get(name="backup datastore bot-db")
    assert task.interval.every == 3600 and not task.enabled
    bad = write_client.patch("/api/v1/datastores/bot-db", {"path": "/srv/x"}, format="json")
    assert bad.status_code == 400 and "path" in bad.json()
    assert write_client.get("/api/v1/datastores/nope").status_code == 404
    assert write_client.delete("/api/v1/datastores/bot-db").status_code == 204
    assert not DataStore.objects.exists() and not PeriodicTask.objects.exists()


@pytest.fixture
def boss(client, portal_admin):
    client.force_login(portal_admin)
    return client


def test_the_admin_registers_a_store_with_its_schedules_and_never_shows_the_password(
        boss, django_capture_on_commit_callbacks):
    response = boss.post("/admin/backups/datastore/add/", {
        "name": "bot-db", "kind": "postgresql", "url": PG_URL, "path": "",
        "schedule_seconds": "", "keep_last": 8, "keep_days": 7, "owner": "ops",
        "enabled": "on"})
    assert response.status_code == 302, response.content.decode()[-3000:]
    store = DataStore.objects.get()
    assert store.url == PG_URL and store.schedule_seconds == 21600
    assert PeriodicTask.objects.filter(name="backup datastore bot-db", enabled=True).exists()
    for url in ("/admin/backups/datastore/", f"/admin/backups/datastore/{store.pk}/change/",
                "/admin/backups/datastore/?kind__exact=postgresql",
                "/admin/backups/datastore/?q=bot"):
        page = boss.get(url)
        assert page.status_code == 200, url
        assert PASSWORD not in page.content.decode(), url
    assert "bot:********@db.internal" in boss.get("/admin/backups/datastore/").content.decode()

    # Saved with the URL left empty: the stored one stays.
    response = boss.post(f"/admin/backups/datastore/{store.pk}/change/", {
        "name": "bot-db", "kind": "postgresql", "url": "", "path": "",
        "schedule_seconds": 7200, "keep_last": 8, "keep_days": 7, "owner": "ops",
        "enabled": "on"})
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.url == PG_URL
    assert PeriodicTask.objects.get(name="backup datastore bot-db").interval.every == 7200

    # A wrong field for the kind is refused by the form.
    response = boss.post("/admin/backups/datastore/add/", {
        "name": "bad", "kind": "sqlite", "url": "", "path": "relative.db",
        "keep_last": 8, "keep_days": 7, "enabled": "on"})
    assert response.status_code == 200 and "must be absolute" in response.content.decode()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for action in ("back_up_now", "drill_now"):
            page = boss.post("/admin/backups/datastore/", {
                "action": action, "_selected_action": [store.pk]}, follow=True)
            assert "1 " in page.content.decode() and "queued" in page.content.decode()
    assert len(callbacks) == 2
