"""The launch numbers of GET /metrics, from rollups.

A window is (now - length, now] by event `ts`. Its whole buckets come from
`EventRollup` (hours, then 10-minute, minute and 10 s buckets towards the
edges: under 100 rows for both windows); the events of its two cut 10 s
buckets (the first, cut by the window start, and the current one) come from
raw events through the `ts` index. So the numbers are exact at any second
while the rows read stay bounded however many events are stored.
"""

import datetime
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from django.db.models import Q
from django.utils import timezone

from monitoring.models import Event, EventRollup
from monitoring.rollups import window_plan
from monitoring.selectors.alert_state import alert_state_values
from monitoring.selectors.heartbeats import heartbeats_overdue
from monitoring.selectors.positions import position_metrics
from monitoring.selectors.uptime import bot_uptime, portal_uptime
from monitoring.tally import Tally

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def _ratio(num, den):
    return None if not den else round(num / den, 6)


def _raw_q(low, low_inclusive, high, high_inclusive) -> Q:
    return Q(**{"ts__gte" if low_inclusive else "ts__gt": low,
                "ts__lte" if high_inclusive else "ts__lt": high})


def _in_raw(ts, low, low_inclusive, high, high_inclusive) -> bool:
    return (ts >= low if low_inclusive else ts > low) and (ts <= high if high_inclusive
                                                          else ts < high)


class _RollupCache:
    """Decoded rollups of this process, keyed by bucket and valid while `updated_at` matches.

    Decoding the JSON of ~60 rollups is most of a /metrics request's cost at
    high volume, yet between two scrapes only the few newest buckets change.
    A row updated since (a late event) has a new `updated_at` and is fetched
    again, so a cached tally is never stale.
    """

    def __init__(self, size: int = 2048):  # 24 h ~100, 30 days ~800; small keeps GC cheap
        self.size, self.lock = size, threading.Lock()
        self.items: OrderedDict = OrderedDict()

    def tallies(self, match: Q) -> list[tuple[int, datetime.datetime, Tally]]:
        rows = list(EventRollup.objects.filter(match)
                    .values_list("pk", "seconds", "start", "updated_at"))
        with self.lock:
            missing = [pk for pk, sec, start, updated in rows
                       if self.items.get((sec, start), (None,))[0] != updated]
        fetched = {}
        if missing:
            for sec, start, updated, data in EventRollup.objects.filter(pk__in=missing) \
                    .values_list("seconds", "start", "updated_at", "data"):
                fetched[(sec, start)] = (updated, Tally.from_json(data))
        out = []
        with self.lock:
            self.items.update(fetched)
            for _, sec, start, _ in rows:
                entry = fetched.get((sec, start)) or self.items[(sec, start)]
                self.items.move_to_end((sec, start))
                out.append((sec, start, entry[1]))
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return out


_rollup_cache = _RollupCache()


def tallies_since(now: datetime.datetime, starts: list[datetime.datetime]) -> list[Tally]:
    """One Tally per window (start, now], from rollups (cached per process) and the raw
    events of each window's cut edges; the current bucket's events are read once."""
    plans = [window_plan(start=start, now=now) for start in starts]
    tallies = [Tally() for _ in starts]
    bucket_q, raw_q = Q(), Q()
    raw_ranges = {raw for _, raws in plans for raw in raws}  # the current bucket is shared
    for buckets, _ in plans:
        for seconds, low, high in buckets:
            bucket_q |= Q(seconds=seconds, start__gte=low, start__lt=high)
    for raw in raw_ranges:
        raw_q |= _raw_q(*raw)
    if bucket_q:
        for seconds, start, tally in _rollup_cache.tallies(bucket_q):
            for (buckets, _), target in zip(plans, tallies, strict=True):
                if any(s == seconds and low <= start < high for s, low, high in buckets):
                    target.merge(tally)  # merge reads `tally`, never changes it
    raw = Event.objects.filter(raw_q, synthetic=False)
    for ts, payload in raw.values_list("ts", "payload"):
        for (_, raws), target in zip(plans, tallies, strict=True):
            if any(_in_raw(ts, *raw) for raw in raws):
                target.add(payload, ts.timestamp())
    return tallies


def _tallies(now: datetime.datetime) -> tuple[Tally, Tally]:
    """-> (last hour, last 24 h)."""
    hour, day = tallies_since(now, [now - HOUR, now - DAY])
    return hour, day


def _active_rpc_name(*, now: datetime.datetime) -> str | None:
    """Before any RPC endpoint is registered with the portal: the endpoint of the
    bot's most recent rpc_status event marked ok."""
    event = (Event.objects.filter(type="rpc_status", ts__lte=now, payload__ok=True,
                                  synthetic=False)
             .order_by("-ts").values_list("payload", flat=True).first())
    return event["endpoint"] if event else None


def _compute(now: datetime.datetime) -> tuple[dict, dict]:
    hour, day = _tallies(now)
    bot, portal = bot_uptime(now=now), portal_uptime(now=now)
    state = alert_state_values(now=now)
    percentile = hour.confirmation.quantile
    vibe_p95 = day.vibe_ms.quantile(0.95)
    ws = day.ws[1] if day.ws else None
    pool = day.db_pool
    body = {
        "timestamp": now.isoformat(),
        "trades_24h": day.trades,
        "trades_per_hour": hour.trades,
        "error_rate": _ratio((hour.trades - hour.trades_ok) + hour.commands_failed,
                             hour.trades + hour.commands),
        "trade_success_rate": _ratio(hour.trades_ok, hour.trades),
        "tp_triggers_24h": day.tp,
        "sl_triggers_24h": day.sl,
        "tp_sl_trigger_rate": _ratio(day.tp + day.sl, day.trades),
        "bags_share_24h": _ratio(day.bags, day.trades),
        "jupiter_share_24h": _ratio(day.jupiter, day.trades),
        "partner_fees_sol_24h": str(day.fees.normalize()) if day.fees else "0",
        "trades_without_tpsl_24h": day.without_tpsl,
        "confirmation_ms": {
            name: _rounded(percentile(q))
            for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        },
        "demo_success_rate_24h": _ratio(day.demo_ok, day.demo),
        "vibe_p95_ms_24h": None if vibe_p95 is None else round(vibe_p95, 2),
        "websocket_connected": ws,
        # The portal's active endpoint (what /api/v1/rpc/active tells the bot).
        "active_rpc": state.pop("active_rpc") or _active_rpc_name(now=now),
        "db_pool_utilization": _ratio(pool[1], pool[2]) if pool else None,
        "rate_limit_usage": {api: _ratio(r[1], r[2]) for api, r in sorted(day.rate_limit.items())},
        # The bot's uptime (its own signals, monitoring/services/bot_uptime.py); the
        # portal's own /health is portal_uptime_*.
        "uptime_24h": bot["uptime_24h"],
        "uptime_30d": bot["uptime_30d"],
        "bot_degraded_24h": bot["degraded_24h"],
        "bot_degraded_30d": bot["degraded_30d"],
        "uptime_data_since": bot["data_since"].isoformat() if bot["data_since"] else None,
        "portal_uptime_24h": portal["uptime_24h"],
        "portal_uptime_30d": portal["uptime_30d"],
        "heartbeats_late": len(heartbeats_overdue(now=now)),
        # open_positions, positions_without_tpsl, realized_pnl_sol_24h, sl_streak,
        # daily_loss_sol: from the positions the bot's position_* events keep current.
        **position_metrics(now=now),
        **state,  # rpc_*, backup_*, dependency, certificate and API-key keys alert rules watch
    }
    counts = {
        "trades_per_hour": hour.trades,
        "error_rate": hour.trades + hour.commands,
        "trade_success_rate": hour.trades,
        "tp_sl_trigger_rate": day.trades,
        "bags_share_24h": day.trades,
        "jupiter_share_24h": day.trades,
        "confirmation_ms.p50": hour.confirmation.count,
        "confirmation_ms.p95": hour.confirmation.count,
        "confirmation_ms.p99": hour.confirmation.count,
        "demo_success_rate_24h": day.demo,
        "vibe_p95_ms_24h": day.vibe_ms.count,
        "db_pool_utilization": 1 if pool else 0,
        "uptime_24h": bot["minutes_24h"],
        "uptime_30d": bot["minutes_30d"],
        "bot_degraded_24h": bot["minutes_24h"],
        "bot_degraded_30d": bot["minutes_30d"],
        "portal_uptime_24h": portal["minutes_24h"],
        "portal_uptime_30d": portal["minutes_30d"],
    }
    return body, counts


def metrics_current(*, now: datetime.datetime | None = None) -> dict:
    """Exactly the JSON body of GET /metrics at `now` (default: the current time)."""
    return _compute(now or timezone.now())[0]


def metric_sample_counts(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """For each rate/percentile key of /metrics, how many events (samples) it is computed from.

    Keys are /metrics keys; nested percentiles as `confirmation_ms.p95`.
    Alert rules use it for "at least N events before judging a rate".
    """
    return _compute(now or timezone.now())[1]


def metrics_with_sample_counts(*, now: datetime.datetime | None = None) -> tuple[dict, dict]:
    """Both of the above from one computation (what alert evaluation should call)."""
    return _compute(now or timezone.now())


def metric_lookup(values: Mapping[str, Any] | None, key: str) -> Any:
    """One value of the /metrics JSON by its dotted key, the one rule every reader uses
    (alert rules, success metrics, launch figures): values["a.b"] if stored flat, else
    values["a"]["b"]; None when absent."""
    if not values:
        return None
    value: Any = values.get(key)
    if value is None and "." in key:
        value = values
        for part in key.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
