from django.urls import path

from backups import api

urlpatterns = [
    path("api/v1/backups", api.BackupRunListView.as_view(), name="backup-runs"),
    path("api/v1/restore-drills", api.RestoreDrillListView.as_view(), name="restore-drills"),
]
