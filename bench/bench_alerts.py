"""One alert evaluation tick (the /metrics numbers with their sample counts, then 50
rules evaluated) with ~10^6 stored events against the same with 10^3.

Targets: ratio <= 2, and a tick under 3 s (5 % of its one-minute period).
Each size loads its own PostgreSQL database with bench_metrics.load (events and
rollups over the last day), then runs six ticks a minute apart, as the minute
loop would: alerts open, fire, stay firing and (some) resolve.
"""

import datetime
import statistics
import subprocess
import sys
import time

from benchlib import bench_url, django_setup, result

RULES = 50
TICKS = 6
# Metric keys with thresholds around the bench pattern's values: some rules fire.
KEYS = [("error_rate", ">", 0.01), ("trade_success_rate", "<", 0.99),
        ("trades_per_hour", ">", 10), ("confirmation_ms.p95", ">", 100),
        ("db_pool_utilization", ">", 0.9), ("trades_without_tpsl_24h", ">", 0),
        ("websocket_connected", "==", 0), ("rpc_active_consecutive_failures", ">=", 2),
        ("heartbeats_late", ">", 0), ("uptime_24h", "<", 0.99)]


def measure_command(url: str, n_minutes: int, per_minute: int) -> None:
    """`bench_alerts.py measure URL MINUTES PER_MINUTE`: load, then print the tick times."""
    django_setup(url)
    from bench_metrics import load
    from django.db import connection
    from django.utils import timezone

    from alerting.models import Alert, AlertRule
    from alerting.services import alerts
    from alerting.services.alert_rules import alert_rule_create
    from monitoring.selectors.metrics import metrics_with_sample_counts

    now = timezone.now()
    count = load(n_minutes, per_minute, now)
    with connection.cursor() as c:
        c.execute("TRUNCATE alerting_alertevent, alerting_notification, alerting_alert, "
                  "alerting_silence, alerting_alertrule CASCADE")
    for i in range(RULES):
        key, op, threshold = KEYS[i % len(KEYS)]
        alert_rule_create(name=f"bench rule {i:02d}", metric_key=key, operator=op,
                          threshold=threshold, for_seconds=60 * (i % 3), severity="page",
                          min_events=5 if i % 2 else 0, actions=["page"])
    times = []
    for k in range(TICKS):
        at = now + datetime.timedelta(minutes=k)
        started = time.perf_counter()
        values, samples = metrics_with_sample_counts(now=at)
        alerts.alerts_tick(now=at, values=values, samples=samples)
        times.append(time.perf_counter() - started)
    firing = Alert.objects.filter(state="firing").count()
    assert AlertRule.objects.count() == RULES
    print(count, firing, " ".join(f"{t:.4f}" for t in times))


def main():
    if sys.argv[1:2] == ["measure"]:
        return measure_command(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    big_url = bench_url()
    small_url = big_url + "_small"
    runs = {}
    for name, url, minutes, per_minute in (("small", small_url, 1000, 1),
                                           ("big", big_url, 1440, 695)):
        out = subprocess.run([sys.executable, __file__, "measure", url, str(minutes),
                              str(per_minute)], capture_output=True, text=True, check=True)
        count, firing, *times = out.stdout.split("\n")[-2].split()
        runs[name] = (int(count), int(firing), [float(t) for t in times])
    small, big = (statistics.median(runs[n][2]) for n in ("small", "big"))
    worst = max(runs["big"][2])
    print(f"alert tick {RULES} rules @1e6 vs @1e3 events: {big / small:.2f}x (target <= 2), "
          f"tick {worst:.2f} s (target < 3 s)")
    result("alerts: tick at 10^6 over tick at 10^3 events", big / small, "<= 2",
           f"median {small * 1000:.0f} ms with {runs['small'][0]:,} events, "
           f"{big * 1000:.0f} ms with {runs['big'][0]:,} ({runs['big'][1]} alerts firing); "
           f"slowest tick {worst:.2f} s (< 3 s)")
    return 0 if big / small <= 2 and worst < 3 else 1


if __name__ == "__main__":
    sys.exit(main())
