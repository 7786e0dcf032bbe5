"""The bot's dependencies and API keys, over HTTP (issue 18)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.secret_urls import SecretUrlSerializerMixin, serializer_context
from monitoring.models import ApiKey, Dependency
from monitoring.models.probes import validate_json_condition
from monitoring.selectors.probes import api_keys_list, cert_days_left, dependencies_list
from monitoring.services import probes


class DependencySerializer(SecretUrlSerializerMixin, serializers.ModelSerializer):
    cert_days_left = serializers.SerializerMethodField()
    json_condition = serializers.JSONField(required=False,
                                           validators=[validate_json_condition])

    class Meta:
        model = Dependency
        fields = ["id", "name", "kind", "url", "expected_status", "json_condition",
                  "latency_budget_ms", "enabled", "last_probe_at", "last_ok",
                  "last_status_code", "last_latency_ms", "last_reason",
                  "consecutive_failures", "cert_expires_at", "cert_days_left"]
        read_only_fields = ["id", "last_probe_at", "last_ok", "last_status_code",
                            "last_latency_ms", "last_reason", "consecutive_failures",
                            "cert_expires_at"]

    def get_cert_days_left(self, obj) -> float | None:
        from django.utils import timezone
        return cert_days_left(obj, now=timezone.now())


class DependencyListView(APIView):
    """GET /api/v1/dependencies (read), POST {name, kind, url, ...} (write)."""

    model_permissions = {"POST": (Dependency, "add")}

    @extend_schema(responses=DependencySerializer(many=True))
    def get(self, request):
        return Response(DependencySerializer(dependencies_list(), many=True,
                                             context=serializer_context(request)).data)

    @extend_schema(request=DependencySerializer, responses={201: DependencySerializer})
    def post(self, request):
        s = DependencySerializer(data=request.data)
        s.is_valid(raise_exception=True)
        dep = probes.dependency_create(**s.validated_data)
        return Response(DependencySerializer(dep, context=serializer_context(request)).data,
                        status=status.HTTP_201_CREATED)


class ApiKeySerializer(serializers.ModelSerializer):
    # Write-only: a key is never shown back, to anyone.
    secret = serializers.CharField(write_only=True, max_length=500, trim_whitespace=True)

    class Meta:
        model = ApiKey
        fields = ["id", "provider", "name", "secret", "enabled", "last_checked_at",
                  "last_outcome", "last_reason", "last_success_at"]
        read_only_fields = ["id", "last_checked_at", "last_outcome", "last_reason",
                            "last_success_at"]


class ApiKeyListView(APIView):
    """GET /api/v1/api-keys (read; secrets never shown), POST {provider, name, secret} (write)."""

    model_permissions = {"POST": (ApiKey, "add")}

    @extend_schema(responses=ApiKeySerializer(many=True))
    def get(self, request):
        return Response(ApiKeySerializer(api_keys_list(), many=True).data)

    @extend_schema(request=ApiKeySerializer, responses={201: ApiKeySerializer})
    def post(self, request):
        s = ApiKeySerializer(data=request.data)
        s.is_valid(raise_exception=True)
        key = probes.api_key_create(**s.validated_data)
        return Response(ApiKeySerializer(key).data, status=status.HTTP_201_CREATED)
