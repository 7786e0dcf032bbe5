"""GET, POST /api/v1/datastores and GET, PATCH, DELETE /api/v1/datastores/{name}.

A store's URL carries the password of the bot's database: it is written, never read
back. Every response shows it masked, to every principal (nobody needs it from here:
the portal reads it from its own encrypted column to run pg_dump).
"""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from backups import selectors
from backups.models import DataStore, DataStoreKind
from backups.services import datastore_create, datastore_delete, datastore_update
from common.redaction import mask_url
from common.secret_urls import unmask


class RunBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField()


class DrillBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    verdict = serializers.CharField()
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    reason = serializers.CharField()


class DataStoreSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=DataStoreKind.choices)
    url = serializers.CharField(required=False, allow_blank=True, max_length=500,
                                help_text="postgresql: postgres://user:password@host:port/db; "
                                          "shown masked")
    schedule_seconds = serializers.IntegerField(
        required=False, min_value=60, help_text="default: 21600 (6 h) for databases, "
                                                "86400 (24 h) for folders")
    last_backup = serializers.SerializerMethodField()
    last_drill = serializers.SerializerMethodField()

    class Meta:
        model = DataStore
        fields = ["name", "kind", "url", "path", "schedule_seconds", "keep_last", "keep_days",
                  "owner", "enabled", "created_at", "updated_at", "last_backup", "last_drill"]
        read_only_fields = ["created_at", "updated_at", "last_backup", "last_drill"]

    @extend_schema_field(RunBriefSerializer(allow_null=True))
    def get_last_backup(self, obj):
        run = selectors.datastore_last_finished(datastore=obj)
        return RunBriefSerializer(run).data if run else None

    @extend_schema_field(DrillBriefSerializer(allow_null=True))
    def get_last_drill(self, obj):
        drill = selectors.datastore_last_drill(datastore=obj)
        return DrillBriefSerializer(drill).data if drill else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data.get("url"):
            data["url"] = mask_url(data["url"])
        return data


class DataStoreUpdateSerializer(DataStoreSerializer):
    class Meta(DataStoreSerializer.Meta):
        read_only_fields = ["name", *DataStoreSerializer.Meta.read_only_fields]


class DataStoreListView(APIView):
    """GET (read): every registered store; POST (write): register one."""

    model_permissions = {"POST": (DataStore, "add")}

    @extend_schema(responses=DataStoreSerializer(many=True))
    def get(self, request):
        return Response(DataStoreSerializer(selectors.datastores_list(), many=True).data)

    @extend_schema(request=DataStoreSerializer, responses={201: DataStoreSerializer})
    def post(self, request):
        s = DataStoreSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        store = datastore_create(**s.validated_data)
        return Response(DataStoreSerializer(store).data, status=status.HTTP_201_CREATED)


class DataStoreDetailView(APIView):
    """GET (read), PATCH and DELETE (write) one store by name."""

    model_permissions = {"PATCH": (DataStore, "change"), "DELETE": (DataStore, "delete")}

    def _store(self, name: str) -> DataStore:
        store = selectors.datastore_get(name=name)
        if store is None:
            raise NotFound(f"no data store named {name!r}")
        return store

    @extend_schema(responses=DataStoreSerializer)
    def get(self, request, name):
        return Response(DataStoreSerializer(self._store(name)).data)

    @extend_schema(request=DataStoreUpdateSerializer, responses=DataStoreSerializer)
    def patch(self, request, name):
        store = self._store(name)
        s = DataStoreUpdateSerializer(store, data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        changes = dict(s.validated_data)
        if "url" in changes:
            # The masked URL sent back unchanged keeps the real one.
            changes["url"] = unmask(changes["url"], store.url)
        store = datastore_update(store=store, **changes)
        return Response(DataStoreSerializer(store).data)

    @extend_schema(responses={204: None})
    def delete(self, request, name):
        datastore_delete(store=self._store(name))
        return Response(status=status.HTTP_204_NO_CONTENT)
