"""Backup runs, made through backups.services (queued, with their first history row)."""


from backups.models import BackupRun
from backups.services import backup_run_create
from tests.factories import service_factory


class BackupRunFactory(service_factory(backup_run_create)):
    class Meta:
        model = BackupRun

    kind = "database"
    trigger = "manual"
