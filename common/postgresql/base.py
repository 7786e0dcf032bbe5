"""Django's PostgreSQL backend, except that no database round trip can wait forever.

Why: `connect_timeout` bounds opening a connection, but a query on an open
connection whose server (or anything between) hangs blocks forever. A
server-side statement_timeout cannot help when the network is what hangs, and
TCP keepalives / libpq's tcp_user_timeout do not fire while the peer's kernel
keeps ACKing (tested against a proxy that accepts and never answers; the query
was still blocked after 12 s). psycopg 3 itself waits on the socket in
`Connection.wait(gen, timeout=...)` for every operation (execute, fetch, COPY,
commit, rollback); BoundedConnection passes a timeout there, so a round trip
still unanswered after it raises OperationalError in the thread that made it,
without touching the connection from another thread. The connection is then
closed: its protocol state is unknown, Django opens a new one next time.

The bound is set per process: web workers (opsportal/wsgi.py) and /health's
check threads use DB_QUERY_TIMEOUT; management commands (migrate, restores) run
unbounded; Celery tasks are bounded by their time limits instead.

A web request is also given a database budget (`database_budget`): all its round
trips together, connecting included, wait DB_QUERY_TIMEOUT at most. Bounding each
round trip alone let them stack: on a hung server Django's connection health check
(`SELECT 1`, CONN_HEALTH_CHECKS) waited the whole bound, then the reconnect waited
DB_CONNECT_TIMEOUT, then the query, so a request answered after 2x the bound or more.
"""

import inspect
import math
import threading
import time
from contextlib import contextmanager

import psycopg
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql import base

if "timeout" not in inspect.signature(psycopg.Connection.wait).parameters:
    # Without it a hung database would hang requests again, silently: refuse to start.
    raise ImproperlyConfigured(f"psycopg {psycopg.__version__} has no Connection.wait(timeout=); "
                               "upgrade psycopg (pyproject.toml)")
# psycopg's own "wait timeout expired" class (private; its OperationalError base otherwise).
_WAIT_TIMEOUT = getattr(psycopg.errors, "_WaitTimeout", psycopg.OperationalError)
_local = threading.local()
CONNECT_MIN_LEFT = 1.5  # seconds of a request's database budget needed to (re)connect
_process_timeout: float | None = None


def query_timeout_set(seconds: float | None) -> None:
    """The bound of every round trip in this process (None: unbounded)."""
    global _process_timeout
    _process_timeout = seconds or None


@contextmanager
def query_timeout(seconds: float | None):
    """Bound this thread's round trips for the duration of the block."""
    previous = getattr(_local, "timeout", False)
    _local.timeout = seconds or None
    try:
        yield
    finally:
        _local.timeout = previous


@contextmanager
def database_budget(seconds: float | None):
    """Bound the total time this thread's round trips, connecting included, may wait
    during the block (a web request: opsportal/wsgi.py). None: no budget."""
    previous = getattr(_local, "budget", None)
    _local.budget = [float(seconds)] if seconds else None  # seconds left, spent in place
    try:
        yield
    finally:
        _local.budget = previous


def _current_timeout() -> float | None:
    value = getattr(_local, "timeout", False)
    return _process_timeout if value is False else value


def _spent_up() -> psycopg.OperationalError:
    return psycopg.OperationalError("the request used up its database time "
                                    "(DB_QUERY_TIMEOUT) waiting for the database")


class BoundedConnection(psycopg.Connection):
    @classmethod
    def connect(cls, conninfo: str = "", **kwargs):
        budget = getattr(_local, "budget", None)
        if budget is None:
            return super().connect(conninfo, **kwargs)
        # libpq counts connect_timeout in whole seconds, 2 at least: never longer than
        # the budget left (rounded down), and with under 1.5 s left not at all, so a
        # reconnect late in a request overruns its budget by 0.5 s at most.
        if budget[0] < CONNECT_MIN_LEFT:
            raise _spent_up()
        configured = int(float(kwargs.get("connect_timeout") or 0)) or math.inf
        kwargs["connect_timeout"] = min(configured, max(2, math.floor(budget[0])))
        started = time.monotonic()
        try:
            return super().connect(conninfo, **kwargs)
        finally:
            budget[0] -= time.monotonic() - started

    def wait(self, gen, interval=0.1, timeout=None):
        bound = _current_timeout()
        budget = getattr(_local, "budget", None)
        if timeout is not None or (bound is None and budget is None):
            return super().wait(gen, interval=interval, timeout=timeout)
        if budget is not None:
            if budget[0] <= 0:
                raise _spent_up()  # nothing sent: the connection is still in a clean state
            bound = budget[0] if bound is None else min(bound, budget[0])
        started = time.monotonic()
        try:
            return super().wait(gen, interval=interval, timeout=bound)
        except _WAIT_TIMEOUT:
            self.pgconn.finish()  # mid-protocol: unusable; never sent another query
            raise psycopg.OperationalError(
                f"the database did not answer within {bound:.3g} s") from None
        finally:
            if budget is not None:
                budget[0] -= time.monotonic() - started


class _Psycopg:
    """The psycopg module as Django's backend uses it, with connect() bounded."""

    connect = staticmethod(BoundedConnection.connect)

    def __getattr__(self, name):
        return getattr(psycopg, name)


class DatabaseWrapper(base.DatabaseWrapper):
    Database = _Psycopg()
