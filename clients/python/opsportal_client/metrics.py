"""The plan's MetricsCollector, backed by the portal.

The bot's collector (docs/v1-launch-plan, "MetricsCollector") keeps counters in
memory; this one keeps the same counters and `get_metrics()` answer, and also
sends every record as an event, so adopting it is one changed import:

    from opsportal_client import MetricsCollector

With no `portal` argument it reads OPSPORTAL_URL, OPSPORTAL_TOKEN and
OPSPORTAL_QUEUE (the queue file) from the environment; without a URL and token it
counts locally only, and says so once in the log.
"""

from __future__ import annotations

import datetime
import logging
import os
from typing import Any

from opsportal_client.portal import Portal

log = logging.getLogger("opsportal_client")


class MetricsCollector:
    """Collect and expose metrics (the plan's shape), and send them to opsportal."""

    def __init__(self, portal: Portal | None = None):
        self.trades_24h = 0
        self.errors_1h = 0
        self.tp_triggers_24h = 0
        self.sl_triggers_24h = 0
        self.portal = portal if portal is not None else _portal_from_env()
        self._warned_no_confirmation = False

    def record_trade(self, success: bool, via: str, confirmation_ms: float | None = None,
                     **fields: Any) -> None:
        """Record trade execution. The portal needs `confirmation_ms` for a successful
        trade; without it the event is refused (counted as `rejected` in stats())."""
        self.trades_24h += 1
        if not success:
            self.errors_1h += 1
        if self.portal is None:
            return
        if success and confirmation_ms is None and not self._warned_no_confirmation:
            self._warned_no_confirmation = True
            log.warning("opsportal_client: record_trade(success=True) without "
                        "confirmation_ms: the portal refuses such trades; pass it")
        self.portal.trade(success=success, via=via, confirmation_ms=confirmation_ms, **fields)

    def record_tp_trigger(self, trade_id: str, **fields: Any) -> None:
        self.tp_triggers_24h += 1
        if self.portal is not None:
            self.portal.tp_trigger(trade_id=trade_id, **fields)

    def record_sl_trigger(self, trade_id: str, **fields: Any) -> None:
        self.sl_triggers_24h += 1
        if self.portal is not None:
            self.portal.sl_trigger(trade_id=trade_id, **fields)

    def record_command(self, name: str, ok: bool, duration_ms: float, **fields: Any) -> None:
        if self.portal is not None:
            self.portal.command(name=name, ok=ok, duration_ms=duration_ms, **fields)

    def get_metrics(self) -> dict[str, Any]:
        """Get current metrics (this process's counts; the portal has the real windows)."""
        return {
            "trades_24h": self.trades_24h,
            "error_rate": self.errors_1h / max(self.trades_24h, 1),
            "tp_triggers_24h": self.tp_triggers_24h,
            "sl_triggers_24h": self.sl_triggers_24h,
            "timestamp": datetime.datetime.now().isoformat(),
        }


def _portal_from_env() -> Portal | None:
    url, token = os.environ.get("OPSPORTAL_URL"), os.environ.get("OPSPORTAL_TOKEN")
    if not url or not token:
        log.warning("opsportal_client: OPSPORTAL_URL or OPSPORTAL_TOKEN unset; "
                    "MetricsCollector counts locally only")
        return None
    return Portal(url, token, queue_path=os.environ.get("OPSPORTAL_QUEUE") or None)
