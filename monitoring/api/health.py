"""GET /health: the Django view (tests, `runserver`, staff's `?fresh=1`) and, in web
workers, a WSGI layer in front of Django that answers it from memory.

Why in front of Django: a /health flood must not take the CPU and threads that
ingestion needs, and /health must answer within 1 s whatever hangs. The layer
costs no middleware, session, user lookup or database round trip, and it paces
each client address (common.ratelimit.Pacer, HEALTH_RATE_LIMIT per process):
a client over its rate waits for its turn, a sleeping thread and no CPU, so
closed-loop clients are slowed to the rate; a turn more than 0.5 s away is a 429
after 0.5 s, and with every waiting place taken a 429 at once.
"""

import http
import json
import os
import time

from django.conf import settings
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema

from common.ratelimit import Pacer
from monitoring.perf_recorder import recorder
from monitoring.services import health as health_services

# The whole answer, waiting included, stays within the contract's 1 s.
ANSWER_WITHIN = 0.9
MAX_WAIT = 0.5


@extend_schema(exclude=True)
def health_view(request):
    """GET /health: no auth; 200 healthy/degraded, 503 unhealthy, within the budget.

    Serves this process's last probe (monitoring/services/health.py); `?fresh=1`
    from a logged-in staff user runs every check now.
    """
    fresh = request.GET.get("fresh") == "1" and request.user.is_authenticated \
        and request.user.is_staff
    code, body = health_services.health_current(fresh=fresh)
    response = JsonResponse(body, status=code)
    response["Cache-Control"] = "no-store"
    return response


def _pacer() -> Pacer:
    # Two threads of each gunicorn worker are never spent waiting (gunicorn.conf.py
    # exports GUNICORN_THREADS to its workers).
    threads = int(os.environ.get("GUNICORN_THREADS", "1"))
    return Pacer(rate=settings.HEALTH_RATE_LIMIT, max_wait=MAX_WAIT,
                 max_waiting=max(0, threads - 2))


def _respond(start_response, code: int, payload: dict, *, head: bool, extra=()) -> list[bytes]:
    data = json.dumps(payload).encode()
    start_response(f"{code} {http.HTTPStatus(code).phrase}", [
        ("Content-Type", "application/json"), ("Content-Length", str(len(data))),
        ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"), *extra])
    return [b""] if head else [data]


def health_wsgi(app):
    """Wrap the WSGI `app`: GET and HEAD /health are answered here, the rest by `app`."""
    pacer = _pacer()

    def application(environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") != "/health" or method not in ("GET", "HEAD"):
            return app(environ, start_response)
        started = time.perf_counter()
        # Only a threaded worker can afford a sleeping request; a sync one refuses.
        wait, serve = pacer.admit(environ.get("REMOTE_ADDR", ""),
                                  can_wait=bool(environ.get("wsgi.multithread")))
        if wait:
            try:
                time.sleep(wait)
            finally:
                pacer.done_waiting()
        if not serve:
            return _respond(start_response, 429, {
                "detail": "Too many requests: retry in 1 seconds."},
                head=method == "HEAD", extra=[("Retry-After", "1")])
        if "fresh=1" in environ.get("QUERY_STRING", ""):
            return app(environ, start_response)  # staff only: Django checks the session
        served = time.perf_counter()
        code, body = health_services.health_current(
            wait_seconds=max(0.1, ANSWER_WITHIN - (served - started)))
        # The route's own time, as the request-timing middleware measures it (not the pacing).
        recorder.add("http.health", (time.perf_counter() - served) * 1000)
        return _respond(start_response, code, body, head=method == "HEAD")

    return application
