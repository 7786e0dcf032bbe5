"""Errors are JSON on the API, never a traceback."""

import logging
import sys

import psycopg
import redis
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from rest_framework.exceptions import ValidationError
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)

# --- A dependency down or hanging (docs/runbook.md, "Faults and timeouts") -------
# Raised once the connect or query timeout of PostgreSQL or Redis expires, or when
# either refuses: the request answers 503 with Retry-After, never a 500.
_UNAVAILABLE = (
    ("database", (OperationalError, InterfaceError, psycopg.OperationalError,
                  psycopg.InterfaceError)),
    ("cache", (redis.ConnectionError, redis.TimeoutError)),
)
RETRY_AFTER_SECONDS = 5


def unavailable_component(exc: BaseException | None) -> str | None:
    """'database' or 'cache' when exc says that dependency cannot be reached, else None."""
    for name, classes in _UNAVAILABLE:
        if isinstance(exc, classes):
            return name
    return None


def unavailable_response(request, component: str, exc: BaseException) -> HttpResponse:
    # The message only (host and port at most; the redaction filter masks any secret).
    logger.warning("%s unavailable during %s %s: %s", component, request.method,
                   request.path, exc)
    message = f"The {component} is unavailable; retry later."
    if _is_api(request):
        response = JsonResponse({"detail": message}, status=503)
    else:
        response = HttpResponse(message, status=503, content_type="text/plain")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def drf_validation_error(exc: DjangoValidationError) -> ValidationError:
    """A service's (Django) ValidationError as DRF's 400, with the same field-keyed messages."""
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict")
                           else {"detail": exc.messages})


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        # A service refused the input: the same 400 as a serializer's refusal.
        exc = drf_validation_error(exc)
    response = exception_handler(exc, context)
    component = unavailable_component(exc) if response is None else None
    if component:
        return unavailable_response(context["request"], component, exc)
    if response is None:
        # An unexpected exception: log it with its traceback for us, answer
        # the client with a generic message that leaks nothing.
        logger.exception("unhandled API error", exc_info=exc)
        return JsonResponse({"detail": "Internal server error."}, status=500)
    return response


def _is_api(request) -> bool:
    return request.path.startswith(("/api/", "/metrics", "/health", "/ping/"))


def handler404(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    # Django calls this inside its `except` for the exception, wherever it was raised
    # (a view, or a middleware such as the session or authentication lookups).
    exc = sys.exc_info()[1]
    component = unavailable_component(exc)
    if component:
        return unavailable_response(request, component, exc)
    if _is_api(request):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    from django.views.defaults import server_error

    return server_error(request)
