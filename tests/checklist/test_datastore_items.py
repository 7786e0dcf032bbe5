"""The checklist reads the bot's registered data stores: "Backup & recovery tested" needs
a passing drill of every one, and "Database consolidated" counts them with the scan."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backups.models import BackupRun, BackupStatus, DrillVerdict, RestoreDrill
from backups.services import datastore_create
from checklist.services.launch import launch_ensure, launch_schedule, launch_steps_run_due
from checklist.verifiers import REGISTRY
from codescans.services import repo_scan_run
from tests.codescans.conftest import bot_repo  # noqa: F401

pytestmark = pytest.mark.django_db


def verify(key):
    return REGISTRY[key](timezone.now())


def _drill(store=None, *, verdict=DrillVerdict.PASSED, age=timedelta(hours=1), seconds=5.0):
    at = timezone.now() - age
    drill = RestoreDrill.objects.create(
        verdict=verdict, duration_seconds=seconds, finished_at=at, datastore=store,
        datastore_name=store.name if store else "",
        run=BackupRun.objects.create(kind="database", status=BackupStatus.SUCCEEDED,
                                     finished_at=at, datastore=store,
                                     datastore_name=store.name if store else ""))
    RestoreDrill.objects.filter(pk=drill.pk).update(started_at=at - timedelta(seconds=seconds))
    return drill


def test_restore_tested_needs_a_recent_passing_drill_of_every_store(tmp_path):
    _drill()  # the portal's own
    assert verify("restore_tested")[0]
    db = datastore_create(name="bot-db", kind="sqlite", path=str(tmp_path / "a.db"))
    keys = datastore_create(name="bot-keys", kind="files", path=str(tmp_path / "k"))
    passed, detail, _ = verify("restore_tested")
    assert not passed
    assert "2 of 2 data store(s) lack a passing restore drill" in detail
    assert "bot-db (never drilled)" in detail and "bot-keys (never drilled)" in detail
    _drill(db)
    _drill(keys, age=timedelta(days=8))
    _drill(keys, verdict=DrillVerdict.FAILED)
    passed, detail, _ = verify("restore_tested")
    assert not passed and "bot-keys (last passing drill 8 days old)" in detail
    assert "bot-db" not in detail.split("portal:")[0]
    _drill(keys)
    passed, detail, _ = verify("restore_tested")
    assert passed and "every one of 2 data store(s) drilled" in detail
    # A drill of a store does not stand in for the portal's own.
    RestoreDrill.objects.filter(datastore_name="").delete()
    assert not verify("restore_tested")[0]


def test_database_consolidated_counts_registered_stores_with_the_scan_once_each(
        bot_repo, tmp_path):  # noqa: F811
    # Registered, and also named by the bot's code: counted once.
    datastore_create(name="bot-trades", kind="sqlite", path="/srv/bot/data/trades.db")
    datastore_create(name="wallets", kind="files", path=str(tmp_path))  # not a database
    scan = repo_scan_run()
    passed, detail, evidence = verify("database_consolidated")
    assert passed and evidence == scan
    assert "the bot has 2 database(s) (1 registered and repo scan" in detail
    assert "bot-trades (sqlite, registered)" in detail
    assert "postgresql:postgres://bot:********@db.internal:5432/trades" in detail
    assert "wallets" not in detail
    datastore_create(name="bot-pg", kind="postgresql", url="postgres://u:pw@h:5432/trades")
    datastore_create(name="cache", kind="sqlite", path="/srv/bot/cache.db")
    datastore_create(name="risk", kind="sqlite", path="/srv/bot/risk.db")
    passed, detail, _ = verify("database_consolidated")
    assert not passed and "the bot has 4 database(s)" in detail
    assert "cache (sqlite, registered)" in detail and "pw" not in detail.replace("postgres", "")


def test_database_consolidated_without_a_scan_counts_the_registered_stores(settings):
    settings.BOT_REPO_DIR = ""
    assert not verify("database_consolidated")[0]
    datastore_create(name="bot-db", kind="sqlite", path="/srv/bot/a.db")
    passed, detail, _ = verify("database_consolidated")
    assert passed and "the bot has 1 database(s) (1 registered): bot-db" in detail


def test_the_t12h_step_backs_up_every_registered_store_and_names_the_runs(
        plan, backup_env, tmp_path):
    folder = tmp_path / "wallets"
    folder.mkdir()
    (folder / "k.json").write_text("[1]")
    datastore_create(name="bot-wallets", kind="files", path=str(folder))
    datastore_create(name="bot-missing", kind="sqlite", path=str(tmp_path / "gone.db"))
    launch, _ = launch_ensure()
    launch_at = timezone.now() + timedelta(hours=11)
    launch_schedule(launch=launch, launch_at=launch_at)
    (line,) = launch_steps_run_due()
    runs = {r.datastore_name: r for r in BackupRun.objects.filter(trigger="launch")}
    assert set(runs) == {"", "bot-wallets", "bot-missing"}
    assert runs["bot-wallets"].status == BackupStatus.SUCCEEDED
    assert runs["bot-missing"].status == BackupStatus.FAILED
    assert line.startswith("V1 T-12h: failed: database backup run #")
    assert f"bot-wallets run #{runs['bot-wallets'].pk} succeeded" in line
    assert f"bot-missing run #{runs['bot-missing'].pk} failed: data store bot-missing:" in line
