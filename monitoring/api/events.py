import json

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from common.ratelimit import IngestTokenRateThrottle
from monitoring.models import Event
from monitoring.services import event_schema
from monitoring.services.events import events_ingest

_TOO_LARGE = (f"at most {event_schema.MAX_EVENTS} events and "
              f"{event_schema.MAX_BODY_BYTES} bytes per request")


EventErrors = inline_serializer("EventBatchErrors", {"errors": inline_serializer(
    "EventError", {"index": serializers.IntegerField(allow_null=True),
                   "field": serializers.CharField(allow_blank=True),
                   "message": serializers.CharField()}, many=True)})
Error = {"$ref": "#/components/schemas/Error"}  # common/openapi.py


def _too_large(detail: str) -> Response:
    return Response({"detail": f"{detail}; send {_TOO_LARGE}"},
                    status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)


class EventIngestView(APIView):
    """POST /api/v1/events (scope `ingest`): a batch of bot events, all or nothing."""

    model_permissions = {"POST": (Event, "add")}

    required_scopes = {"POST": "ingest"}
    throttle_classes = [IngestTokenRateThrottle]  # per token, INGEST_RATE_LIMIT
    # The body is read raw (below); this only tells the schema and clients it is JSON.
    parser_classes = [JSONParser]

    @extend_schema(
        request=inline_serializer("EventBatch", {"events": serializers.ListField(
            child=serializers.DictField(), max_length=event_schema.MAX_EVENTS)}),
        responses={202: inline_serializer("EventBatchAccepted", {
            "accepted": serializers.IntegerField(), "duplicates": serializers.IntegerField()}),
            400: OpenApiResponse(EventErrors, description="An invalid event; none stored."),
            413: OpenApiResponse(Error, description=f"Send {_TOO_LARGE}."),
            429: OpenApiResponse(Error, description="Over INGEST_RATE_LIMIT for this token; "
                                 "see `Retry-After`.")},
        examples=[OpenApiExample("one trade", request_only=True, value={"events": [
            {"id": "t-1", "type": "trade", "ts": "2026-11-24T12:00:00Z", "success": True,
             "via": "bags", "confirmation_ms": 840, "partner_fee_sol": "0.0021",
             "take_profit_pct": 20, "stop_loss_pct": 10}]})],
    )
    def post(self, request):
        if request.content_type.split(";")[0].strip().lower() != "application/json":
            raise UnsupportedMediaType(request.content_type or "(none)")
        # Size first, from the header, so an oversized body is never read or parsed.
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > event_schema.MAX_BODY_BYTES:
            return _too_large(f"body of {declared} bytes")
        raw = request._request.read(event_schema.MAX_BODY_BYTES + 1)
        if len(raw) > event_schema.MAX_BODY_BYTES:
            return _too_large("body over 1 MiB")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            return Response({"errors": [{"index": None, "field": "",
                                         "message": f"body is not valid JSON: {exc}"}]},
                            status=status.HTTP_400_BAD_REQUEST)
        if isinstance(body, dict) and isinstance(body.get("events"), list) \
                and len(body["events"]) > event_schema.MAX_EVENTS:
            return _too_large(f"{len(body['events'])} events")
        parsed, errors = event_schema.batch_validate(body, now=timezone.now())
        if errors:
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        accepted, duplicates = events_ingest(events=parsed)
        return Response({"accepted": accepted, "duplicates": duplicates},
                        status=status.HTTP_202_ACCEPTED)
