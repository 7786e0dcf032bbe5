from django.http import JsonResponse
from drf_spectacular.utils import extend_schema

from ..services import health as health_services


@extend_schema(exclude=True)
def health_view(request):
    """GET /health: no auth; 200 healthy/degraded, 503 unhealthy, within the budget.

    Serves the state a background task refreshes every 15 s; `?fresh=1` from
    a logged-in staff user runs every check now.
    """
    fresh = request.GET.get("fresh") == "1" and request.user.is_authenticated \
        and request.user.is_staff
    code, body = health_services.health_current(fresh=fresh)
    response = JsonResponse(body, status=code)
    response["Cache-Control"] = "no-store"
    return response
