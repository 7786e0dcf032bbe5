from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from monitoring.models import Heartbeat, PingKind
from monitoring.selectors.heartbeats import heartbeat_status_at, heartbeats_list
from monitoring.services.heartbeats import (
    heartbeat_create,
    heartbeat_ping,
    ping_body_interpret,
)


class HeartbeatSerializer(serializers.ModelSerializer):
    ping_url = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    period_seconds = serializers.IntegerField(min_value=1, max_value=366 * 86400)
    grace_seconds = serializers.IntegerField(min_value=0, max_value=366 * 86400)

    class Meta:
        model = Heartbeat
        fields = ["uuid", "name", "period_seconds", "grace_seconds", "status", "ping_url",
                  "last_ping_at", "last_start_at", "created_at"]
        read_only_fields = ["uuid", "last_ping_at", "last_start_at", "created_at"]

    def get_ping_url(self, obj) -> str:
        path = reverse("heartbeat-ping", args=[obj.uuid])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_status(self, obj) -> str:
        # Live at answer time, so a client never sees a status the refresh has not stored yet.
        return heartbeat_status_at(heartbeat=obj, now=timezone.now())


class HeartbeatListCreateView(generics.ListCreateAPIView):
    """GET, POST /api/v1/heartbeats (read / write)."""

    model_permissions = {"POST": (Heartbeat, "add")}

    serializer_class = HeartbeatSerializer

    def get_queryset(self):
        return heartbeats_list()

    def perform_create(self, serializer):
        serializer.instance = heartbeat_create(**serializer.validated_data)


def _ping(request, uuid, kind, exit_status=None):
    body, said, text = b"", None, ""
    url_decides = kind != PingKind.SUCCESS or exit_status is not None
    if request.method == "POST":
        # Read a bounded prefix: a pinger's log dump must not be held whole in memory.
        body = request.read(settings.HEARTBEAT_PING_BODY_MAX + 1)
        said, said_exit, text = ping_body_interpret(body, request.content_type or "")
        exit_status = exit_status if exit_status is not None else said_exit
    # The plain ping URL lets the body decide; /fail, /start and /<exit status> say it
    # themselves and win over the body.
    if not url_decides and said is not None:
        kind = said
    heartbeat = heartbeat_ping(
        heartbeat_uuid=uuid, kind=kind, method=request.method,
        remote_addr=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.META.get("HTTP_USER_AGENT", ""), body=text,
        exit_status=exit_status)
    if heartbeat is None:
        return HttpResponse("not found", status=404, content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")


# healthchecks.io's protocol: no auth (the uuid is the secret), GET/POST/HEAD, plain "OK".
def _ping_endpoint(kind):
    @extend_schema(exclude=True)
    @csrf_exempt
    @require_http_methods(["GET", "POST", "HEAD"])
    def view(request, uuid):
        return _ping(request, uuid, kind)

    return view


@extend_schema(exclude=True)
@csrf_exempt
@require_http_methods(["GET", "POST", "HEAD"])
def ping_exit_status(request, uuid, exit_status: int):
    """/ping/<uuid>/<exit status>, as healthchecks.io: 0 is success, anything else a fail."""
    if exit_status > 255:
        return HttpResponse("exit status must be 0-255", status=400, content_type="text/plain")
    kind = PingKind.SUCCESS if exit_status == 0 else PingKind.FAIL
    return _ping(request, uuid, kind, exit_status=exit_status)


ping_success = _ping_endpoint(PingKind.SUCCESS)
ping_start = _ping_endpoint(PingKind.START)
ping_fail = _ping_endpoint(PingKind.FAIL)
