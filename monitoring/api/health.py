from django.http import JsonResponse
from drf_spectacular.utils import extend_schema

from ..services import health as health_services


@extend_schema(exclude=True)
def health_view(request):
    """GET /health: no auth; 200 healthy/degraded, 503 unhealthy, within the budget."""
    code, body = health_services.health_evaluate()
    response = JsonResponse(body, status=code)
    response["Cache-Control"] = "no-store"
    return response
