"""Rate limits: per token on ingestion (a DRF throttle), per client address on the
admin login and /ping/ (a middleware). Both count in Django's cache, so every web
process must share one cache (Redis, CACHE_URL) for the limits to hold across them;
the default local-memory cache counts per process.

When the cache is down or hangs the limits fail open (requests are served, a
warning is logged): losing the bot's events or the cron jobs' pings because the
rate-limit counter is unreachable would be worse than a few minutes unlimited, and
ingestion still stores or answers 503 on its own (the database is its store).
After a failure the cache is not asked again for CACHE_RETRY_SECONDS in this
process, so a hung Redis costs one request CACHE_TIMEOUT, not every request.
"""

import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
CACHE_RETRY_SECONDS = 10.0
_cache_down_until = 0.0


def cache_available() -> bool:
    return time.monotonic() >= _cache_down_until


def cache_failed(what: str) -> None:
    global _cache_down_until
    _cache_down_until = time.monotonic() + CACHE_RETRY_SECONDS
    logger.warning("%s rate limit skipped for %g s: the cache is unavailable", what,
                   CACHE_RETRY_SECONDS, exc_info=True)


def cache_failures_forget() -> None:
    """Ask the cache again at the next request (tests)."""
    global _cache_down_until
    _cache_down_until = 0.0


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """'120/m' -> (120, 60); empty or '0' means no limit."""
    if not rate or rate.strip() in ("0", "off"):
        return None
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip()[0]]


class IngestTokenRateThrottle(SimpleRateThrottle):
    """Requests per API token (falls back to the client address without one)."""

    scope = "ingest"

    def get_rate(self):
        # One grammar for every limit of the portal: empty, "0" and "off" switch it off
        # (None is how DRF's throttle is told there is no limit).
        rate = settings.INGEST_RATE_LIMIT
        return rate if parse_rate(rate) else None

    def parse_rate(self, rate):
        return parse_rate(rate) or (None, None)

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        ident = f"token-{token.pk}" if getattr(token, "pk", None) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        if not cache_available():
            return True
        try:
            return super().allow_request(request, view)
        except Exception:  # a cache outage must not stop ingestion: fail open, loudly
            cache_failed("ingest")
            return True


def rate_limit_hit(*, key: str, limit: int, period: int) -> int:
    """Count one request in the current fixed window; seconds to wait if over the limit."""
    now = time.time()
    window = int(now // period)
    cache_key = f"ratelimit:{key}:{window}"
    cache.add(cache_key, 0, timeout=period + 1)
    count = cache.incr(cache_key)
    if count > limit:
        return max(1, int((window + 1) * period - now + 0.999))
    return 0


class RateLimitMiddleware:
    """Per-address limits on POST /admin/login/ and every /ping/ request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def _rule(self, request) -> tuple[str, str] | None:
        if request.path.startswith("/ping/"):
            return "ping", settings.PING_RATE_LIMIT
        if request.method == "POST" and request.path == "/admin/login/":
            return "login", settings.LOGIN_RATE_LIMIT
        return None

    def __call__(self, request):
        rule = self._rule(request)
        parsed = parse_rate(rule[1]) if rule else None
        if parsed and cache_available():
            ip = request.META.get("REMOTE_ADDR", "")
            try:
                wait = rate_limit_hit(key=f"{rule[0]}:{ip}", limit=parsed[0], period=parsed[1])
            except Exception:  # cache down: availability of pings beats the limit
                cache_failed(rule[0])
                wait = 0
            if wait:
                return self._too_many(request, rule[0], wait)
        return self.get_response(request)

    @staticmethod
    def _too_many(request, name: str, wait: int) -> HttpResponse:
        message = f"Too many requests: retry in {wait} seconds."
        if name == "ping":
            response = JsonResponse({"detail": message}, status=429)
        else:
            response = HttpResponse(message, status=429, content_type="text/plain")
        response["Retry-After"] = str(wait)
        return response


class Pacer:
    """Requests per key (a client address) in this process's memory, paced rather than
    refused at once: over its rate a request waits for its turn, up to `max_wait`
    seconds; a request whose turn is further away waits `max_wait` and is refused.
    Only `max_waiting` requests wait at a time; past that they are refused at once.

    Hand-written (GCRA, a dozen lines) because no rate-limit library we found bounds
    the number of requests left waiting, and that number is what protects the
    threads that serve everything else. Used by /health (monitoring/api/health.py):
    a waiting client costs a sleeping thread, no CPU, so a flood of closed-loop
    clients is slowed down instead of answered (even with 429) as fast as it asks.
    """

    def __init__(self, *, rate: str | None, max_wait: float, max_waiting: int):
        parsed = parse_rate(rate)
        self.interval = parsed[1] / parsed[0] if parsed else 0.0  # seconds between turns
        self.tolerance = self.interval * (parsed[0] - 1) if parsed else 0.0  # the burst
        self.max_wait, self.max_waiting = max_wait, max_waiting
        self._lock = threading.Lock()
        self._due: dict[str, float] = {}  # key -> its theoretical arrival time (monotonic)
        self.waiting = 0

    def admit(self, key: str, *, can_wait: bool = True) -> tuple[float, bool]:
        """-> (seconds to wait first, then serve?). A wait over 0 must be followed by
        `done_waiting()`."""
        if not self.interval:
            return 0.0, True
        with self._lock:
            now = time.monotonic()
            due = max(self._due.get(key, now), now)
            wait = due - self.tolerance - now
            if wait <= 0:
                self._turn(key, due + self.interval, now)
                return 0.0, True
            if not can_wait or self.waiting >= self.max_waiting:
                return 0.0, False
            self.waiting += 1
            if wait > self.max_wait:
                return self.max_wait, False  # slowed down, then refused
            self._turn(key, due + self.interval, now)
            return wait, True

    def _turn(self, key: str, due: float, now: float) -> None:
        self._due[key] = due
        if len(self._due) > 10_000:  # forget clients whose turn is long past
            self._due = {k: t for k, t in self._due.items() if t > now}

    def done_waiting(self) -> None:
        with self._lock:
            self.waiting -= 1
