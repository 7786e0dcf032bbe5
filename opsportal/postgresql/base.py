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
"""

import inspect
import threading
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


def _current_timeout() -> float | None:
    value = getattr(_local, "timeout", False)
    return _process_timeout if value is False else value


class BoundedConnection(psycopg.Connection):
    def wait(self, gen, interval=0.1, timeout=None):
        bound = _current_timeout()
        if timeout is not None or bound is None:
            return super().wait(gen, interval=interval, timeout=timeout)
        try:
            return super().wait(gen, interval=interval, timeout=bound)
        except _WAIT_TIMEOUT:
            self.pgconn.finish()  # mid-protocol: unusable; never sent another query
            raise psycopg.OperationalError(
                f"the database did not answer within {bound:g} s") from None


class _Psycopg:
    """The psycopg module as Django's backend uses it, with connect() bounded."""

    connect = staticmethod(BoundedConnection.connect)

    def __getattr__(self, name):
        return getattr(psycopg, name)


class DatabaseWrapper(base.DatabaseWrapper):
    Database = _Psycopg()
