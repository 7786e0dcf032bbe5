"""Per-route response times and sampled query times, kept in process memory.

Cost per request: two perf_counter calls, a dict lookup and a histogram
bucket increment under a lock. Query timing is an execute wrapper installed
on each database connection when it opens (`connection_created`), so it
covers requests, the scheduler and ingestion alike; it times only the
sampled fraction DB_QUERY_SAMPLE_RATE of queries. The database sees one flush every
PERF_FLUSH_SECONDS per process, not a write per request.
"""

import logging
import random
import threading
import time

from django.conf import settings
from django.db import connections

from monitoring.perf_recorder import recorder

log = logging.getLogger(__name__)

HTTP_PREFIX = "http."
DB_QUERY = "db_query_ms"


def _time_query(execute, sql, params, many, context):
    # Sampling, not security: a fast non-cryptographic generator is what we want.
    if random.random() >= settings.DB_QUERY_SAMPLE_RATE:  # noqa: S311
        return execute(sql, params, many, context)
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        recorder.add(DB_QUERY, (time.perf_counter() - started) * 1000)


def install_query_timing(sender, connection, **kwargs):
    # connection_created fires on every reconnect of the same wrapper object.
    if _time_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(_time_query)


def perf_flush() -> int:
    """Write pending samples to rollups; on a database error keep them for the next try."""
    from monitoring.services.performance import measurement_rollups_merge

    pending = recorder.drain()
    if not pending:
        return 0
    try:
        measurement_rollups_merge(pending=pending)
    except Exception:  # never fail a request for its own measurement
        recorder.restore(pending)
        log.exception("performance flush failed; samples kept in memory")
        return 0
    return len(pending)


_background = {"on": False, "thread": None}
_background_lock = threading.Lock()


def perf_flush_background_set(on: bool) -> None:
    """Web workers (opsportal/wsgi.py) flush in a thread of their own: a request never
    waits for the database on behalf of its measurements (a hung database made a
    /health or ingestion request wait a whole connect and query timeout for it)."""
    _background["on"] = on


def _flush_and_close() -> None:
    try:
        perf_flush()
    finally:
        connections.close_all()  # this thread's own connection


def _flush_soon() -> None:
    if not _background["on"]:
        perf_flush()
        return
    with _background_lock:
        thread = _background["thread"]
        if thread is None or not thread.is_alive():  # one flush at a time per process
            thread = _background["thread"] = threading.Thread(
                target=_flush_and_close, daemon=True, name="perf-flush")
            thread.start()


class RequestTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        match = getattr(request, "resolver_match", None)
        # Unresolved paths (404s, static files) are left out: they have no route
        # name, and arbitrary paths would make unbounded measurement names.
        if match is not None:
            recorder.add(HTTP_PREFIX + (match.view_name or match.route or "unnamed"), elapsed_ms)
        if recorder.due(flush_seconds=settings.PERF_FLUSH_SECONDS):
            _flush_soon()
        return response
