"""GET, POST /api/v1/backups and GET /api/v1/restore-drills."""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from backups import selectors
from backups.models import BackupKind, BackupRun, BackupStatus, DrillVerdict, RestoreDrill
from backups.services import backup_run_create
from backups.tasks import backup_run_execute_task
from common.filters import QueryFilterSerializer


class BackupRunSerializer(serializers.ModelSerializer):
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = BackupRun
        fields = ["id", "kind", "status", "trigger", "created_at", "started_at", "finished_at",
                  "duration_seconds", "size_bytes", "sha256", "encrypted", "storage_name",
                  "error", "manifest", "pruned_at"]
        read_only_fields = fields


class BackupRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=BackupKind.choices)


class RestoreDrillSerializer(serializers.ModelSerializer):
    run_kind = serializers.CharField(source="run.kind", read_only=True, default=None)

    class Meta:
        model = RestoreDrill
        fields = ["id", "run", "run_kind", "trigger", "started_at", "finished_at",
                  "duration_seconds", "verdict", "reason", "details", "scratch"]
        read_only_fields = fields


class BackupRunFilterSerializer(QueryFilterSerializer):
    kind = serializers.ChoiceField(choices=BackupKind.choices, required=False)
    status = serializers.ChoiceField(choices=BackupStatus.choices, required=False)


class RestoreDrillFilterSerializer(QueryFilterSerializer):
    verdict = serializers.ChoiceField(choices=DrillVerdict.choices, required=False)


def _filters(serializer_class, request) -> dict:
    """Known filter values only: an unknown one is a 400, not an empty list."""
    filters = serializer_class(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return filters.validated_data


class BackupRunListView(generics.GenericAPIView):

    model_permissions = {"POST": (BackupRun, "add")}
    serializer_class = BackupRunSerializer

    def get_queryset(self):
        return selectors.backup_runs_list(**_filters(BackupRunFilterSerializer, self.request))

    @extend_schema(parameters=[BackupRunFilterSerializer],
                   responses={200: BackupRunSerializer(many=True)})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=BackupRequestSerializer, responses={202: BackupRunSerializer})
    def post(self, request):
        """Start a backup: 202 with the queued run; a worker runs it after this commits."""
        data = BackupRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            run = backup_run_create(kind=data.validated_data["kind"], trigger="api")
            transaction.on_commit(lambda: backup_run_execute_task.delay(run.pk))
        return Response(BackupRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RestoreDrillListView(generics.ListAPIView):
    serializer_class = RestoreDrillSerializer

    def get_queryset(self):
        return selectors.restore_drills_list(
            **_filters(RestoreDrillFilterSerializer, self.request))

    @extend_schema(parameters=[RestoreDrillFilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
