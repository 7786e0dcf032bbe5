"""True Prometheus counters and histograms of the bot's events (issue 20.2).

/metrics' numbers are windows (last hour, last 24 h), which Prometheus can only
graph as gauges. These grow for ever instead: Prometheus takes `rate()`,
`increase()` and `histogram_quantile()` over them and sums them across portals.
Ingestion adds each batch's increments in its own transaction (`counters_add`);
/metrics reads them back in one query (`counters_read`).
"""

import re
from collections import defaultdict

from django.db import connection

from monitoring.models import EventCounter

# Buckets (ms) around the plan's targets: confirmation p95 < 500 ms, /vibe < 2 s.
CONFIRMATION_BUCKETS = (50, 100, 200, 300, 400, 500, 750, 1000, 2000, 5000)
VIBE_BUCKETS = (250, 500, 1000, 1500, 2000, 3000, 5000, 10000)
HISTOGRAMS = {"trade_confirmation_ms": CONFIRMATION_BUCKETS, "vibe_duration_ms": VIBE_BUCKETS}
# A command label is the bot's command (/demo, /vibe, ...); anything else is "other", so
# a client cannot grow the number of series without bound.
_COMMAND = re.compile(r"^/[a-z0-9_]{1,32}$")
_EVENT_TYPES = ("trade", "command", "tp_trigger", "sl_trigger", "rpc_status", "ws_status",
                "db_pool", "rate_limit")


def _labels(**values: str) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(values.items()))


def labels_parse(text: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in text.split(",")) if text else {}


def _bucket(value: float, bounds: tuple) -> str:
    return next((str(b) for b in bounds if value <= b), "+Inf")


def counter_increments(events) -> dict[tuple[str, str], float]:
    """(name, labels) -> increment, for validated, non-synthetic event payloads."""
    inc: dict[tuple[str, str], float] = defaultdict(float)
    for event in events:
        kind = event["type"]
        inc[("events_ingested", _labels(type=kind if kind in _EVENT_TYPES else "other"))] += 1
        if kind == "trade":
            ok = bool(event["success"])
            inc[("trades", _labels(venue=event["via"], result="ok" if ok else "failed",
                                   demo=str(bool(event.get("demo"))).lower()))] += 1
            fee = float(event.get("partner_fee_sol") or 0)
            if fee:
                inc[("partner_fees_sol", "")] += fee
            if ok:
                ms = float(event["confirmation_ms"])
                inc[("trade_confirmation_ms_bucket",
                     _labels(le=_bucket(ms, CONFIRMATION_BUCKETS)))] += 1
                inc[("trade_confirmation_ms_sum", "")] += ms
                inc[("trade_confirmation_ms_count", "")] += 1
        elif kind == "command":
            name = event["name"] if _COMMAND.match(event["name"]) else "other"
            inc[("commands", _labels(command=name, result="ok" if event["ok"] else
                                     "failed"))] += 1
            if event["name"] == "/vibe":
                ms = float(event["duration_ms"])
                inc[("vibe_duration_ms_bucket", _labels(le=_bucket(ms, VIBE_BUCKETS)))] += 1
                inc[("vibe_duration_ms_sum", "")] += ms
                inc[("vibe_duration_ms_count", "")] += 1
        elif kind == "tp_trigger":
            inc[("tp_triggers", "")] += 1
        elif kind == "sl_trigger":
            inc[("sl_triggers", "")] += 1
    return inc


def counters_add(increments: dict[tuple[str, str], float]) -> None:
    """Add the increments in one statement, inside the caller's transaction.

    Hand-written SQL because Django's upsert (`bulk_create(update_conflicts=...)`)
    overwrites the column, and a counter must add. Both SQLite (3.24+) and PostgreSQL
    speak `ON CONFLICT ... DO UPDATE`; rows go in sorted order so concurrent batches
    lock them in the same order.
    """
    if not increments:
        return
    rows = sorted(increments.items())
    table = EventCounter._meta.db_table
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    params = [p for (name, labels), inc in rows for p in (name, labels, inc)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, labels, value) VALUES {values} "  # noqa: S608
            f"ON CONFLICT (name, labels) DO UPDATE SET value = {table}.value + excluded.value",
            params)


def counters_read() -> dict[str, list[tuple[dict[str, str], float]]]:
    """Every counter: name -> [(labels, value)]."""
    out: dict[str, list] = defaultdict(list)
    for name, labels, value in EventCounter.objects.order_by("name", "labels") \
            .values_list("name", "labels", "value"):
        out[name].append((labels_parse(labels), value))
    return dict(out)
