"""Benchmark: one alert evaluation tick with 50 rules at 10^6 stored history rows
against the same at 10^3 (targets: ratio <= 2, tick < 3 s, 5 % of its minute).

Standalone: `python bench/bench_alerts.py`. It builds a scratch SQLite database
under var/ (or uses BENCH_DATABASE_URL), so it never touches the portal's data.

What grows in production is the history the evaluator sits next to: alert
events, notifications and RPC probes. The tick must not scan them, so each
size stores that many rows in each table before timing the tick.
"""

import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = ROOT / "var" / "bench-alerts.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{DB}")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-0123456789abcdefghijklmnop")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from monitoring.models import (  # noqa: E402
    Alert,
    AlertEvent,
    AlertRule,
    Notification,
    NotificationChannel,
    RpcEndpoint,
    RpcProbe,
)
from monitoring.services import alerts  # noqa: E402

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
RULES = 50
KEYS = ["error_rate", "trade_success_rate", "trades_per_hour", "db_pool_utilization",
        "websocket_connected"]


def reset() -> None:
    for model in (AlertEvent, Notification, Alert, RpcProbe, RpcEndpoint, AlertRule,
                  NotificationChannel):
        model.objects.all().delete()


def fill(rows: int) -> None:
    """`rows` history rows in each of alert events, notifications and RPC probes."""
    reset()
    old = AlertRule.objects.create(name="old", metric_key="error_rate", operator=">",
                                   threshold=1, enabled=False)
    # A broken channel: the bench measures evaluation, not a network.
    channel = NotificationChannel.objects.create(name="sink", url="json://127.0.0.1:9/x",
                                                 enabled=False)
    endpoint = RpcEndpoint.objects.create(name="primary", url="http://127.0.0.1:9/",
                                          is_active=True, active_since=T0)
    per_alert = 1000
    alerts_ = Alert.objects.bulk_create([
        Alert(rule=old, state="resolved", started_at=T0 - timedelta(days=30),
              resolved_at=T0 - timedelta(days=29)) for _ in range(max(1, rows // per_alert))])
    batch = 20000
    for start in range(0, rows, batch):
        n = min(batch, rows - start)
        AlertEvent.objects.bulk_create([
            AlertEvent(alert=alerts_[(start + i) // per_alert], kind="notified",
                       at=T0 - timedelta(days=30), text="old") for i in range(n)])
        Notification.objects.bulk_create([
            Notification(alert=alerts_[(start + i) // per_alert], channel=channel,
                         kind="firing", title="old", body="old",
                         created_at=T0 - timedelta(days=30), delivered_at=T0,
                         attempts=1) for i in range(n)])
        RpcProbe.objects.bulk_create([
            RpcProbe(endpoint=endpoint, at=T0 - timedelta(seconds=start + i), ok=True,
                     latency_ms=10) for i in range(n)])
    for i in range(RULES):
        AlertRule.objects.create(
            name=f"rule {i:02d}", metric_key=KEYS[i % len(KEYS)], operator=">",
            threshold=0.5, for_seconds=60 * (i % 3), severity="page",
            actions=["page"], labels={"n": str(i % 5)})
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute("ANALYZE")


def tick_seconds() -> float:
    """The slowest of five ticks: alerts opening, firing, staying, resolving."""
    firing = dict.fromkeys(KEYS, 0.9)
    quiet = dict.fromkeys(KEYS, 0.1)
    times = []
    for minute, values in enumerate([firing, firing, firing, firing, quiet]):
        started = time.perf_counter()
        alerts.alerts_tick(now=T0 + timedelta(minutes=minute), values=values, samples={})
        times.append(time.perf_counter() - started)
    return max(times), statistics.median(times)


def main() -> None:
    DB.parent.mkdir(exist_ok=True)
    call_command("migrate", verbosity=0, interactive=False)
    results = {}
    for rows in (10**3, 10**6):
        fill(rows)
        results[rows] = tick_seconds()
    small, big = results[10**3][0], results[10**6][0]
    ratio = big / small
    print(f"alert tick {RULES} rules @1e6 vs @1e3 events: {ratio:.2f}x (target <= 2), "
          f"tick {big:.2f} s (target < 3 s)")
    reset()
    return 0 if ratio <= 2 and big < 3 else 1


if __name__ == "__main__":
    sys.exit(main())
