from django.urls import path

from backups import api, api_datastores

urlpatterns = [
    path("api/v1/backups", api.BackupRunListView.as_view(), name="backup-runs"),
    path("api/v1/datastores", api_datastores.DataStoreListView.as_view(), name="datastores"),
    path("api/v1/datastores/<slug:name>", api_datastores.DataStoreDetailView.as_view(),
         name="datastore"),
    path("api/v1/restore-drills", api.RestoreDrillListView.as_view(), name="restore-drills"),
]
