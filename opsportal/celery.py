"""The Celery app. Broker and beat scheduler come from settings (CELERY_*)."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")

app = Celery("opsportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_embedded_broker_dirs(sender, **kwargs):
    # Kombu's filesystem transport expects its folders to exist; web, worker
    # and beat may each be the first process to start on a fresh machine.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@worker_process_init.connect
def _bound_database_round_trips(**kwargs):
    # As in web workers (opsportal/wsgi.py): a task's query on a hung database fails
    # after DB_QUERY_TIMEOUT instead of holding the worker until the task time limit.
    # The few long tasks (backups, pruning) lift the bound for themselves.
    from django.conf import settings

    from common.postgresql.base import query_timeout_set

    query_timeout_set(settings.DB_QUERY_TIMEOUT)
