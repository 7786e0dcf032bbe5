from django.http import JsonResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ..services import health as health_services


@extend_schema(exclude=True)
def health_view(request):
    """GET /health: no auth; 200 healthy/degraded, 503 unhealthy, within the budget."""
    code, body = health_services.health_evaluate()
    response = JsonResponse(body, status=code)
    response["Cache-Control"] = "no-store"
    return response


class MetricsView(APIView):
    """GET /metrics (scope `read`): the launch numbers."""

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response({"timestamp": timezone.now().isoformat()})
