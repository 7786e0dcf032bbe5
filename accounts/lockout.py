"""Login lockout (django-axes): the lockout answer and the reset used by the admin."""

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.response import TemplateResponse


def _retry_after(request) -> int:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else 0


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """429 with Retry-After: JSON for API clients, the admin-styled page for people."""
    seconds = _retry_after(request)
    message = (f"Too many failed login attempts: locked out for {seconds // 60} minutes. "
               "An administrator can lift the lock in Admin > Axes > Access attempts.")
    wants_json = request.path.startswith("/api/") or "json" in request.headers.get("Accept", "")
    if wants_json:
        response = JsonResponse({"detail": message, "retry_after": seconds}, status=429)
    else:
        response = TemplateResponse(request, "security/lockout.html", {
            "title": "Locked out", "message": message,
            "username": get_client_username(request, credentials) or "",
        }, status=429)
        response.render()
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


def login_lockout_reset(*, attempts) -> int:
    """Lift the lockout of the users and addresses of these access attempts; the count reset."""
    count = 0
    for attempt in attempts:
        count += reset(username=attempt.username) if attempt.username else 0
        count += reset(ip=attempt.ip_address) if attempt.ip_address else 0
    return count


def login_lockouts_active():
    """Attempts at or over the failure limit: the users and addresses locked right now."""
    return AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
