"""The public client: one method per event type, each returning at once.

A call builds the event (its id and ts are fixed here, once) and appends it to
a memory buffer; the delivery thread does everything else. Nothing raises into
the caller: a bad argument is logged and the event dropped, counted.
"""

from __future__ import annotations

import atexit
import datetime
import functools
import logging
import time
import uuid
from decimal import Decimal
from typing import Any

from opsportal_client.delivery import Delivery

log = logging.getLogger("opsportal_client")
__version__ = "1.0.0"
_UTC = datetime.timezone.utc
_PING_KINDS = {"success": "", "ok": "", "up": "", "start": "/start", "fail": "/fail",
               "failure": "/fail", "down": "/fail"}


def _safe(method):
    """Whatever goes wrong in a public method is logged, never raised to the bot."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception:
            self._errors += 1
            log.exception("opsportal_client: %s() failed; event dropped", method.__name__)
            return None

    return wrapper


def _ts(value) -> str:
    if value is None:
        return datetime.datetime.now(_UTC).isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:  # naive: this machine's local time, made explicit
            value = value.astimezone()
        return value.isoformat()
    if isinstance(value, (int, float)):  # a Unix timestamp
        return datetime.datetime.fromtimestamp(value, _UTC).isoformat()
    raise TypeError(f"ts must be a datetime, ISO string or Unix time, not {type(value)!r}")


def _decimal(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    raise TypeError(f"partner_fee_sol must be a decimal string, Decimal or number, not "
                    f"{type(value)!r}")


class Portal:
    """Events and heartbeats to opsportal.

    `base_url`: the portal (`https://ops.example.com`); `token`: an API token with
    the `ingest` scope. `queue_path`: the SQLite file that holds undelivered events
    across restarts (None: in memory only). See docs/client.md for every option.
    """

    def __init__(self, base_url: str, token: str, *, queue_path: str | None = None,
                 flush_interval: float = 2.0, spool_interval: float = 0.2,
                 max_events: int = 100_000, timeout: float = 10.0,
                 backoff_base: float = 0.5, backoff_max: float = 60.0,
                 skew_warn_seconds: float = 30.0, synthetic: bool = False,
                 flush_on_exit: float = 2.0):
        self._errors = 0
        self._closed = False
        self._synthetic = synthetic
        self._flush_on_exit = flush_on_exit
        self._delivery = Delivery(
            base_url=base_url, token=token, queue_path=queue_path,
            flush_interval=flush_interval, spool_interval=spool_interval,
            max_events=max(1, int(max_events)), timeout=timeout, backoff_base=backoff_base,
            backoff_max=backoff_max, skew_warn_seconds=skew_warn_seconds,
            user_agent=f"opsportal-client/{__version__}")
        self._put = self._delivery.put
        self._delivery.start()
        # The queue file is opened by the thread; waiting for it (milliseconds, once, at
        # start-up) makes stats() true from the first call.
        self._delivery.ready.wait(5)
        atexit.register(self._at_exit)

    # -- events ------------------------------------------------------------------------

    def _event(self, kind: str, ts, fields: dict) -> None:
        if self._closed:
            log.warning("opsportal_client: %s after close(); dropped", kind)
            return
        event: dict[str, Any] = {"id": uuid.uuid4().hex, "type": kind, "ts": _ts(ts)}
        event.update(fields)
        if self._synthetic:
            event["synthetic"] = True
        self._put(event)

    @_safe
    def trade(self, *, success: bool, via: str, confirmation_ms: float | None = None,
              partner_fee_sol=None, take_profit_pct: float | None = None,
              stop_loss_pct: float | None = None, error: str | None = None,
              demo: bool = False, ts=None, **extra: Any) -> None:
        """A trade. `confirmation_ms` is required by the portal when `success`;
        `take_profit_pct`/`stop_loss_pct` None means the trade had none."""
        fields: dict[str, Any] = {"success": success, "via": via,
                                  "take_profit_pct": take_profit_pct,
                                  "stop_loss_pct": stop_loss_pct, "demo": demo}
        if confirmation_ms is not None:
            fields["confirmation_ms"] = confirmation_ms
        if partner_fee_sol is not None:
            fields["partner_fee_sol"] = _decimal(partner_fee_sol)
        if error is not None:
            fields["error"] = error
        if extra:
            fields.update(extra)
        self._event("trade", ts, fields)

    @_safe
    def command(self, *, name: str, ok: bool, duration_ms: float, ts=None,
                **extra: Any) -> None:
        """A bot command (`/demo`, `/vibe`, ...), its result and duration."""
        self._event("command", ts, {"name": name, "ok": ok, "duration_ms": duration_ms,
                                    **extra})

    @_safe
    def rpc_status(self, *, endpoint: str, ok: bool, latency_ms: float | None = None,
                   ts=None, **extra: Any) -> None:
        self._event("rpc_status", ts, {"endpoint": endpoint, "ok": ok,
                                       "latency_ms": latency_ms, **extra})

    @_safe
    def ws_status(self, *, connected: bool, ts=None, **extra: Any) -> None:
        self._event("ws_status", ts, {"connected": connected, **extra})

    @_safe
    def db_pool(self, *, in_use: int, size: int, ts=None, **extra: Any) -> None:
        self._event("db_pool", ts, {"in_use": in_use, "size": size, **extra})

    @_safe
    def rate_limit(self, *, api: str, used: int, limit: int, ts=None, **extra: Any) -> None:
        self._event("rate_limit", ts, {"api": api, "used": used, "limit": limit, **extra})

    @_safe
    def tp_trigger(self, *, trade_id: str, ts=None, **extra: Any) -> None:
        self._event("tp_trigger", ts, {"trade_id": str(trade_id), **extra})

    @_safe
    def sl_trigger(self, *, trade_id: str, ts=None, **extra: Any) -> None:
        self._event("sl_trigger", ts, {"trade_id": str(trade_id), **extra})

    # -- heartbeats --------------------------------------------------------------------

    @_safe
    def heartbeat(self, uuid: str, status: str = "success") -> None:
        """Ping `/ping/{uuid}` (`success`), `/start` or `/fail`. Sent by the delivery
        thread within moments; not queued on disk, and given up after 60 s, since a
        late heartbeat would claim the bot alive when it was not."""
        if self._closed:
            return
        suffix = _PING_KINDS.get(str(status).lower())
        if suffix is None:
            raise ValueError(f"heartbeat status must be one of {sorted(_PING_KINDS)}, "
                             f"not {status!r}")
        self._delivery.pings.append((f"/ping/{uuid}{suffix}", time.monotonic()))
        self._delivery.wake.set()

    # -- control -----------------------------------------------------------------------

    def flush(self, timeout: float = 10.0) -> bool:
        """Send everything queued now; wait at most `timeout` s. -> True when all was
        delivered (or refused as invalid), False when some is still queued."""
        try:
            d = self._delivery
            if not d.is_alive():
                return self.stats()["queued"] == 0
            deadline = time.monotonic() + max(timeout, 0)
            with d.idle:
                d.flush_wanted += 1
            try:
                d.wake.set()
                with d.idle:
                    while d.queued() or d.pings:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0 or not d.is_alive():
                            return False
                        d.idle.wait(min(remaining, 0.1))
                        d.wake.set()
                return True
            finally:
                with d.idle:
                    d.flush_wanted -= 1
        except Exception:
            log.exception("opsportal_client: flush() failed")
            return False

    def close(self, timeout: float = 5.0) -> bool:
        """Send what can be sent within `timeout` s, keep the rest on disk, stop the
        thread. -> True when nothing was left behind."""
        try:
            if self._closed:
                return self.stats()["queued"] == 0
            self._closed = True
            atexit.unregister(self._at_exit)
            d = self._delivery
            d.deadline = time.monotonic() + max(timeout, 0)
            d.stopping.set()
            d.wake.set()
            d.join(max(timeout, 0) + d.timeout + 1)
            if d.is_alive():
                log.warning("opsportal_client: close(): delivery thread still busy")
            return self.stats()["queued"] == 0
        except Exception:
            log.exception("opsportal_client: close() failed")
            return False

    def _at_exit(self) -> None:
        self.close(self._flush_on_exit)

    def stats(self) -> dict:
        """queued, sent, duplicates, dropped (queue bound), rejected (invalid),
        retries, errors (calls that failed here), last_error, clock_skew_seconds
        (the portal's clock minus this machine's; None before the first answer)."""
        d = self._delivery
        with d.lock:
            counters = dict(d.counters)
        return {"queued": d.queued(), **counters, "errors": self._errors,
                "last_error": d.last_error, "clock_skew_seconds": d.clock_skew}

    def __enter__(self) -> Portal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

