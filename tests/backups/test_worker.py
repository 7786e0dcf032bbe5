"""POST /api/v1/backups through a real Celery worker on the embedded broker."""

import pytest

from backups.models import BackupRun
from opsportal.celery import app as celery_app
from tests.processes import ROOT, child_env, start, stop, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def private_broker(tmp_path):
    """Point this process's Celery producer at a broker folder only this test uses."""
    folder = tmp_path / "broker"
    options = {key: str(folder / sub) for key, sub in (
        ("data_folder_in", "queue"), ("data_folder_out", "queue"),
        ("processed_folder", "processed"), ("control_folder", "control"))}
    for path in options.values():
        (folder / path.rsplit("/", 1)[1]).mkdir(parents=True, exist_ok=True)
    saved = celery_app.conf.broker_transport_options
    celery_app.conf.broker_transport_options = {**saved, **options}
    _reset_pools()
    yield folder
    celery_app.conf.broker_transport_options = saved
    _reset_pools()


def _reset_pools():
    # Connections and producers are pooled lazily: drop them so the next publish
    # opens a connection with the current transport options.
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_a_posted_backup_is_run_by_the_worker_after_commit(write_client, private_broker,
                                                           tmp_path):
    response = write_client.post("/api/v1/backups", {"kind": "config"}, format="json")
    assert response.status_code == 202
    run_id = response.json()["id"]
    backups = tmp_path / "worker-backups"
    worker = start([str(ROOT / ".venv/bin/celery"), "-A", "opsportal", "worker", "--pool",
                    "solo", "--loglevel", "INFO"],
                   child_env(tmp_path, BACKUP_DIR=backups), tmp_path / "worker.log")
    try:
        run = wait_for(lambda: BackupRun.objects.filter(
            pk=run_id, status__in=["succeeded", "failed"]).first(), 60,
            what="the worker to finish the backup")
    finally:
        stop(worker)
    assert run.status == "succeeded", (run.error, (tmp_path / "worker.log").read_text())
    assert (backups / run.storage_name).is_file()
    assert "backup config #" in (tmp_path / "worker.log").read_text()
