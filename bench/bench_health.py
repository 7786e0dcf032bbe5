"""/health throughput against a bare JsonResponse view, and the timing middleware's cost.

Both under the same gunicorn (1 worker, gunicorn.conf.py's threads, production
middleware, DEBUG off; /health's per-client pacing off), loaded by a bounded
client on 127.0.0.1 (new connection per request). Sides alternate in short
rounds so a neighbour's burst hits both; the median round ratio is reported.

1. /health requests/s over /bench/bare requests/s, same server (target >= 0.8).
2. Middleware overhead: /bench/bare requests/s without the request-timing
   middleware over with it, minus 1 (target <= 5 %). The bare view is the
   worst case: the middleware's fixed cost is the largest share of it.
"""

import http.client
import statistics
import time

from benchlib import django_setup, gunicorn, result

ROUNDS = 7
PAIRS = 300


def server(*, timing: bool):
    return gunicorn(workers=1, ready_paths=("/health", "/bench/bare"),
                    DJANGO_SETTINGS_MODULE="bench.health_settings",
                    BENCH_NO_TIMING="0" if timing else "1")


def _get(port: int, path: str) -> float:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status in (200, 503), (path, response.status)  # 503: a bare bench DB
    return time.perf_counter() - started


def paired_round(a: tuple[int, str], b: tuple[int, str]) -> float:
    """Median time of b over median time of a, requests alternating a b b a ...

    One sequential client: each server handles one request at a time, so the
    ratio of request times is the inverse ratio of their throughputs; both
    sides see the same neighbour noise, request by request, and medians drop
    the requests a neighbour's burst stalled.
    """
    ta, tb = [], []
    for i in range(PAIRS):
        if i % 2:
            ta.append(_get(*a))
            tb.append(_get(*b))
        else:
            tb.append(_get(*b))
            ta.append(_get(*a))
    return statistics.median(tb) / statistics.median(ta)


def in_process_cost_us() -> float:
    """The middleware's own cost per request in µs, around a do-nothing view."""
    from django.test import RequestFactory
    from django.urls import resolve

    from monitoring.perf_middleware import RequestTimingMiddleware

    request = RequestFactory().get("/health")
    request.resolver_match = resolve("/health")
    inner = RequestTimingMiddleware(lambda r: None)
    n = 20000
    started = time.perf_counter()
    for _ in range(n):
        inner(request)
    return (time.perf_counter() - started) / n * 1e6


def main():
    django_setup()
    with server(timing=True) as timed, server(timing=False) as untimed:
        for _ in range(50):  # warm both: first requests import and compute health
            _get(timed, "/health"), _get(timed, "/bench/bare"), _get(untimed, "/bench/bare")
        # bare time / health time = health throughput / bare throughput
        ratios = [paired_round((timed, "/health"), (timed, "/bench/bare"))
                  for _ in range(ROUNDS)]
        # timed time / untimed time - 1 = the middleware's share of a bare request
        overheads = [paired_round((untimed, "/bench/bare"), (timed, "/bench/bare")) - 1
                     for _ in range(ROUNDS)]
    cost = in_process_cost_us()
    result("health_vs_bare_throughput", statistics.median(ratios), ">= 0.8",
           f"{ROUNDS} rounds of {PAIRS} alternating requests, 1 gunicorn worker "
           f"(rounds {min(ratios):.2f}-{max(ratios):.2f})")
    result("timing_middleware_overhead", statistics.median(overheads), "<= 0.05",
           f"bare view with vs without the middleware (rounds {min(overheads):+.3f}.."
           f"{max(overheads):+.3f}); in process {cost:.1f} us per request")


if __name__ == "__main__":
    main()
