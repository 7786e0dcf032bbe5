"""The delivery thread: memory buffer -> SQLite queue -> POST /api/v1/events.

At-least-once: an event leaves the queue only after the portal answered 202 for
its batch (or refused it as invalid). A retry after a lost answer resends the
same ids, and the portal counts them as duplicates instead of storing them again.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import random
import threading
import time
import urllib.parse
from collections import deque

from opsportal_client.store import Store

log = logging.getLogger("opsportal_client")

MAX_BATCH_EVENTS = 1000  # the portal's bounds (413 past them)
MAX_BATCH_BYTES = 1024 * 1024
_WRAPPER_BYTES = len(b'{"events":[]}')


class Delivery(threading.Thread):
    def __init__(self, *, base_url: str, token: str, queue_path: str | None,
                 flush_interval: float, spool_interval: float, max_events: int,
                 timeout: float, backoff_base: float, backoff_max: float,
                 skew_warn_seconds: float, user_agent: str):
        super().__init__(name="opsportal-client", daemon=True)
        parts = urllib.parse.urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be http(s)://host[:port][/prefix], not {base_url!r}")
        self.parts = parts
        self.token = token
        self.queue_path = queue_path
        self.flush_interval = flush_interval
        self.spool_interval = spool_interval
        self.max_events = max_events
        self.timeout = timeout
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.skew_warn_seconds = skew_warn_seconds
        self.user_agent = user_agent

        self.buffer: deque = deque()  # events from the callers' threads, not yet on disk
        self.pings: deque = deque()  # (url path, enqueued monotonic)
        self.lock = threading.Lock()  # counters and the buffer's bound
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.ready = threading.Event()
        self.idle = threading.Condition()
        self.flush_wanted = 0  # callers waiting in flush()
        self.deadline: float | None = None  # monotonic; set by close()

        self.store: Store | None = None
        self.in_transit = 0
        self.conn: http.client.HTTPConnection | None = None
        self.failures = 0
        self.not_before = 0.0  # monotonic; Retry-After or backoff
        self.batch_limit = MAX_BATCH_EVENTS  # shrinks to isolate an invalid event
        self.isolating = False
        self.last_send = 0.0
        self.skew_warned = False
        self.counters = {"sent": 0, "duplicates": 0, "dropped": 0, "rejected": 0,
                         "retries": 0}
        self.last_error: str | None = None
        self.clock_skew: float | None = None

    # -- called from the callers' threads ------------------------------------------

    def put(self, event: dict) -> None:
        buf = self.buffer
        if len(buf) >= self.max_events:
            with self.lock:
                if len(buf) >= self.max_events:
                    buf.popleft()
                    self.counters["dropped"] += 1
        buf.append(event)

    def queued(self) -> int:
        store = self.store
        return len(self.buffer) + self.in_transit + (store.count if store else 0)

    # -- the thread ------------------------------------------------------------------

    def run(self) -> None:
        try:
            self.store = Store(self.queue_path)
        except Exception:
            log.exception("opsportal_client: no queue at all; events are dropped")
            self.ready.set()
            return
        self.ready.set()
        next_spool = 0.0
        while True:
            stopping = self.stopping.is_set()
            try:
                now = time.monotonic()
                if now >= next_spool or stopping or self.flush_wanted:
                    self._spool()
                    next_spool = now + self.spool_interval
                self._send_pings()
                self._send_due(force=stopping or bool(self.flush_wanted))
            except Exception as exc:  # the thread must outlive any bug
                log.exception("opsportal_client: delivery error")
                self._failed(f"internal error: {exc!r}")
            with self.idle:
                self.idle.notify_all()
            if stopping:
                break
            self.wake.wait(self._wait_seconds(next_spool))
            self.wake.clear()
        self._spool()
        if self.conn:
            self.conn.close()
        self.store.close()
        with self.idle:
            self.idle.notify_all()

    def _wait_seconds(self, next_spool: float) -> float:
        now = time.monotonic()
        wait = next_spool - now
        if self.store and self.store.count:
            due = max(self.not_before, self.last_send + self.flush_interval)
            if self.flush_wanted or self.store.count >= MAX_BATCH_EVENTS:
                due = self.not_before
            wait = min(wait, due - now)
        if self.pings:
            wait = min(wait, max(0.05, self.not_before - now))
        return max(wait, 0.005)

    def _spool(self) -> None:
        buf = self.buffer
        bodies = []
        # Counted in queued() while neither in the buffer nor on disk, so that
        # flush() never sees an empty queue mid-spool.
        self.in_transit = len(buf)
        for _ in range(self.in_transit):
            try:
                event = buf.popleft()
            except IndexError:
                break
            try:
                body = json.dumps(event, separators=(",", ":"), allow_nan=False)
            except (TypeError, ValueError) as exc:
                self._reject(1, f"event {event.get('id')} is not JSON: {exc}")
                continue
            if len(body.encode()) + _WRAPPER_BYTES > MAX_BATCH_BYTES:
                self._reject(1, f"event {event.get('id')} is over 1 MiB")
                continue
            bodies.append(body)
        if bodies and self.store:
            try:
                dropped = self.store.append(bodies, self.max_events)
            finally:
                self.in_transit = 0
            if dropped:
                with self.lock:
                    self.counters["dropped"] += dropped
                log.warning("opsportal_client: queue full (%d events): dropped the %d oldest",
                            self.max_events, dropped)
        self.in_transit = 0

    def _send_due(self, *, force: bool) -> None:
        store = self.store
        while store and store.count:
            now = time.monotonic()
            if now < self.not_before:
                return
            if not force and store.count < MAX_BATCH_EVENTS and \
                    now < self.last_send + self.flush_interval:
                return
            if self.deadline is not None and now > self.deadline:
                return  # close(timeout) is up; the rest stays on disk
            if not self._send_batch():
                return

    def _send_batch(self) -> bool:
        """One request. -> True when the queue moved (sent, or invalid events dropped)."""
        store = self.store
        if store is None:
            return False
        rows = store.head(self.batch_limit, MAX_BATCH_BYTES - _WRAPPER_BYTES)
        body = ('{"events":[' + ",".join(b for _, b in rows) + "]}").encode()
        self.last_send = time.monotonic()
        status, headers, data = self._request("POST", "/api/v1/events", body)
        if status == 0:
            return False
        if status == 202:
            answer = _json(data)
            with self.lock:
                self.counters["sent"] += int(answer.get("accepted", 0))
                self.counters["duplicates"] += int(answer.get("duplicates", 0))
            store.delete([seq for seq, _ in rows])
            self._succeeded()
            return True
        if status == 400:
            return self._invalid(store, rows, _json(data))
        if status == 413 and len(rows) > 1:
            self.batch_limit = max(1, len(rows) // 2)
            return True
        message = f"HTTP {status}: {data[:300].decode(errors='replace')}"
        if status in (429, 503) and _retry_after(headers) is not None:
            delay = min(_retry_after(headers) or 0.0, 3600.0)
            self.not_before = time.monotonic() + delay
            self.last_error = message
            self.counters["retries"] += 1
            log.info("opsportal_client: portal says retry after %.1f s (%s)", delay, status)
        else:
            self._failed(message)
        return False

    def _invalid(self, store: Store, rows: list[tuple[int, str]], answer) -> bool:
        """400: the batch was stored not at all. Drop what the portal names, retry the rest."""
        errors = answer.get("errors") if isinstance(answer, dict) else None
        indexes = sorted({e["index"] for e in errors or [] if isinstance(e, dict)
                          and type(e.get("index")) is int and 0 <= e["index"] < len(rows)})
        self._succeeded(keep_limit=True)
        if indexes:
            for e in errors or []:
                if isinstance(e, dict) and e.get("index") in indexes:
                    self._reject(0, f"portal refused event {_event_id(rows[e['index']][1])}: "
                                    f"{e.get('field')} {e.get('message')}")
            with self.lock:
                self.counters["rejected"] += len(indexes)
            store.delete([rows[i][0] for i in indexes])
            return True
        # No index to go by: halve the batch until the bad event is alone, then drop it.
        # The limit holds while halves pass, so each step narrows the search.
        if len(rows) > 1:
            self.batch_limit = max(1, len(rows) // 2)
            self.isolating = True
            return True
        self._reject(1, f"portal refused event {_event_id(rows[0][1])}: {answer}")
        store.delete([rows[0][0]])
        self.batch_limit = MAX_BATCH_EVENTS
        self.isolating = False
        return True

    def _send_pings(self) -> None:
        while self.pings:
            path, enqueued = self.pings[0]
            if time.monotonic() - enqueued > 60:  # a late heartbeat says nothing true
                self.pings.popleft()
                log.warning("opsportal_client: heartbeat %s not delivered within 60 s", path)
                continue
            if time.monotonic() < self.not_before:
                return  # the portal is down or asked to wait: no ping storm meanwhile
            status, _, data = self._request("POST", path, b"", auth=False)
            if status == 0 or status >= 500:
                return  # retried on the next pass
            self.pings.popleft()
            if status != 200:
                log.warning("opsportal_client: heartbeat %s answered %s: %s", path, status,
                            data[:200].decode(errors="replace"))

    # -- HTTP ------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: bytes, *, auth: bool = True):
        """-> (status, headers, body); status 0 when there was no answer."""
        headers = {"Content-Type": "application/json", "User-Agent": self.user_agent,
                   "Content-Length": str(len(body))}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in (1, 2):  # a kept-alive connection the server closed: one retry
            conn = self._connection()
            started = time.time()
            try:
                conn.request(method, self.parts.path + path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                self.conn = None
                if attempt == 1 and isinstance(exc, (http.client.RemoteDisconnected,
                                                     BrokenPipeError, ConnectionResetError)):
                    continue
                self._failed(f"{type(exc).__name__}: {exc}")
                return 0, {}, b""
            self._clock(resp.getheader("Date"), started, time.time())
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                self.conn = None
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        return 0, {}, b""

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            kind = (http.client.HTTPSConnection if self.parts.scheme == "https"
                    else http.client.HTTPConnection)
            self.conn = kind(self.parts.hostname or "", self.parts.port, timeout=self.timeout)
        return self.conn

    def _clock(self, date: str | None, started: float, ended: float) -> None:
        if not date:
            return
        try:
            server = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return
        # Date has whole seconds: the server's clock read somewhere in [server, server + 1).
        skew = server + 0.5 - (started + ended) / 2
        self.clock_skew = round(skew, 1)
        if abs(skew) > self.skew_warn_seconds:
            if not self.skew_warned:
                log.warning("opsportal_client: this machine's clock is %+.0f s off the "
                            "portal's; event times are sent as measured here", -skew)
                self.skew_warned = True
        else:
            self.skew_warned = False

    # -- bookkeeping -------------------------------------------------------------------

    def _failed(self, message: str) -> None:
        self.failures += 1
        self.last_error = message
        self.counters["retries"] += 1
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** min(self.failures - 1, 20))
        delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311  (jitter, not secrecy)
        self.not_before = time.monotonic() + delay
        log.warning("opsportal_client: delivery failed (%s); next try in %.1f s", message, delay)

    def _succeeded(self, keep_limit: bool = False) -> None:
        self.failures = 0
        self.not_before = 0.0
        if not keep_limit and not self.isolating:
            self.batch_limit = MAX_BATCH_EVENTS

    def _reject(self, count: int, message: str) -> None:
        with self.lock:
            self.counters["rejected"] += count
        self.last_error = message
        log.error("opsportal_client: %s; dropped", message)


def _retry_after(headers: dict) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(email.utils.parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def _json(data: bytes):
    try:
        return json.loads(data)
    except ValueError:
        return {}


def _event_id(body: str) -> str:
    try:
        return str(json.loads(body).get("id"))
    except (ValueError, AttributeError):
        return "?"
