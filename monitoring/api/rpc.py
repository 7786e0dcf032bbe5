"""RPC endpoints and the active one, over HTTP."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from common.redaction import mask_url
from common.secret_urls import SecretUrlSerializerMixin, sees_secrets, serializer_context
from monitoring.models import RpcEndpoint
from monitoring.selectors.rpc import rpc_endpoints_list
from monitoring.services import rpc


class RpcEndpointSerializer(SecretUrlSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = RpcEndpoint
        fields = ["id", "name", "url", "priority", "enabled", "is_active", "active_since",
                  "consecutive_failures", "healthy_since", "last_probe_at", "last_latency_ms"]
        read_only_fields = ["id", "enabled", "is_active", "active_since",
                            "consecutive_failures", "healthy_since", "last_probe_at",
                            "last_latency_ms"]


class RpcEndpointListView(APIView):
    """GET /api/v1/rpc/endpoints (read), POST {name, url, priority} (write)."""

    model_permissions = {"POST": (RpcEndpoint, "add")}

    @extend_schema(responses=RpcEndpointSerializer(many=True))
    def get(self, request):
        return Response(RpcEndpointSerializer(rpc_endpoints_list(), many=True,
                                              context=serializer_context(request)).data)

    @extend_schema(request=RpcEndpointSerializer, responses={201: RpcEndpointSerializer})
    def post(self, request):
        s = RpcEndpointSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        endpoint = rpc.rpc_endpoint_create(**s.validated_data)
        endpoint.refresh_from_db()
        return Response(RpcEndpointSerializer(endpoint, context=serializer_context(request)).data,
                        status=status.HTTP_201_CREATED)


class RpcActiveView(APIView):
    """GET /api/v1/rpc/active (read): {name, url, since}, the endpoint the bot uses now."""

    @extend_schema(responses={
        200: inline_serializer("RpcActive", {
            "name": serializers.CharField(), "url": serializers.URLField(),
            "since": serializers.DateTimeField(allow_null=True)}),
        404: OpenApiResponse({"$ref": "#/components/schemas/Error"},
                             description="No RPC endpoint is configured."),
    })
    def get(self, request):
        active = rpc.rpc_active()
        if active is None:
            raise NotFound("no RPC endpoint is configured")
        # The bot connects to this URL: a token that also ingests (the bot's own, per the
        # contract) gets it whole, as it did before URLs were masked; a read-only
        # dashboard token gets the mask.
        bot = hasattr(request.auth, "has_scope") and request.auth.has_scope("ingest")
        whole = bot or sees_secrets(request.user, request.auth)
        url = active.url if whole else mask_url(active.url)
        return Response({"name": active.name, "url": url,
                         "since": active.active_since.isoformat() if active.active_since
                         else None})
