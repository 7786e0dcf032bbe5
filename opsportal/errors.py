"""Errors are JSON on the API, never a traceback."""

import logging

from django.http import JsonResponse
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


def api_exception_handler(exc, context):
    response = exception_handler(exc, context)
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
    if _is_api(request):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    from django.views.defaults import server_error

    return server_error(request)
