import json

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring.counters import counters_read
from monitoring.prometheus import prometheus_text
from monitoring.selectors.metrics import metrics_current
from monitoring.selectors.performance import performance_summary


class PrometheusRenderer(BaseRenderer):
    """Picked by DRF's negotiation for `?format=prometheus` or `Accept: text/plain`."""

    media_type = "text/plain"
    format = "prometheus"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code != 200:
            return json.dumps(data).encode()  # defence in depth: errors are JSON (below)
        # The true counters and histograms exist in the Prometheus text only: JSON keeps
        # the contract's windows.
        return prometheus_text(data, counters_read())


class MetricsView(APIView):
    """GET /metrics (scope `read`): the launch numbers, JSON or Prometheus text."""

    renderer_classes = [JSONRenderer, PrometheusRenderer]

    def handle_exception(self, exc):
        # Errors stay JSON, labelled as such, whatever format the client asked for.
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "prometheus"])],
        responses={
            (200, "application/json"): OpenApiResponse(dict),
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR,
                                                 description="Prometheus text exposition"),
        },
    )
    def get(self, request):
        prometheus = isinstance(request.accepted_renderer, PrometheusRenderer)
        now = timezone.now()
        body = {**metrics_current(now=now), "performance": performance_summary(now=now)}
        return Response(body, content_type=(
            "text/plain; version=0.0.4; charset=utf-8" if prometheus else None))
