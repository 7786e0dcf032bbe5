"""/metrics in the Prometheus text exposition format, via a custom collector.

The collector turns one `metrics_current()` body into metric families, so
the text is produced (and escaped) by prometheus_client, not by hand. A
null (no data in the window) is left out, as Prometheus users expect.
"""

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
)
from prometheus_client.utils import floatToGoString

from monitoring.counters import HISTOGRAMS

PREFIX = "opsportal_"
HELP = {
    "trades_24h": "Trades in the last 24 h",
    "trades_per_hour": "Trades in the last hour",
    "error_rate": "Failed trades and commands over all of them, last hour",
    "trade_success_rate": "Successful trades over trades, last hour",
    "tp_triggers_24h": "Take-profit triggers, last 24 h",
    "sl_triggers_24h": "Stop-loss triggers, last 24 h",
    "tp_sl_trigger_rate": "TP and SL triggers over trades, last 24 h",
    "bags_share_24h": "Share of trades routed via Bags, last 24 h",
    "jupiter_share_24h": "Share of trades routed via Jupiter, last 24 h",
    "partner_fees_sol_24h": "Partner fees in SOL, last 24 h",
    "trades_without_tpsl_24h": "Trades missing a take-profit or stop-loss, last 24 h",
    "demo_success_rate_24h": "Successful demo trades over demo trades, last 24 h",
    "vibe_p95_ms_24h": "95th percentile /vibe duration in ms, last 24 h",
    "websocket_connected": "1 if the bot's last websocket report said connected",
    "db_pool_utilization": "Bot database pool connections in use over size",
    "uptime_24h": "Share of minutes the bot was up (its own signals), last 24 h",
    "uptime_30d": "Share of minutes the bot was up (its own signals), last 30 days",
    "bot_degraded_24h": "Share of minutes the bot was alive but degraded, last 24 h",
    "bot_degraded_30d": "Share of minutes the bot was alive but degraded, last 30 days",
    "portal_uptime_24h": "Share of minutes the portal was not unhealthy, last 24 h",
    "portal_uptime_30d": "Share of minutes the portal was not unhealthy, last 30 days",
    "heartbeats_late": "Heartbeats that are late or down",
    "open_positions": "Positions the bot holds open",
    "positions_without_tpsl": "Open positions past the grace period without a take-profit "
                              "or a stop-loss",
    "realized_pnl_sol_24h": "Realized profit and loss of positions closed, last 24 h, in SOL",
    "sl_streak": "Consecutive stop-loss closes, most recent first",
    "daily_loss_sol": "Net loss of positions closed since 00:00 UTC, in SOL (0 if a gain)",
    "drawdown_sol_24h": "Largest fall of cumulative realized PnL from its peak, last 24 h, "
                        "in SOL",
    "rpc_active_down": "1 if the active RPC endpoint failed its last probes in a row",
    "rpc_active_consecutive_failures": "Failed getHealth probes in a row of the active RPC",
    "rpc_preferred_consecutive_failures": "Most failed probes in a row of the active RPC "
                                          "or a preferred one it replaced",
    "rpc_active_latency_ms": "Latency of the active RPC endpoint's last probe in ms",
    "rpc_endpoints_healthy": "RPC endpoints whose last getHealth probe succeeded",
    "backup_database_stale": "1 if the last database backup is older than schedule + grace",
    "backup_database_age_seconds": "Age of the last successful database backup in seconds",
    "dependency_down_count": "Enabled dependencies whose last probes failed in a row",
    "cert_min_days_left": "Days until the soonest TLS certificate expiry of the dependencies",
    "certs_expiring_count": "Dependency certificates valid for fewer than CERT_EXPIRY_ALERT_DAYS",
    "api_keys_invalid_count": "Enabled API keys whose last check was refused (401/403)",
}


# The true counters (monitoring/counters.py): name -> (help, label names).
COUNTERS = {
    "trades": ("Trades since the portal started counting, by venue, result and demo",
               ["venue", "result", "demo"]),
    "commands": ("Telegram commands, by command and result", ["command", "result"]),
    "tp_triggers": ("Take-profit triggers", []),
    "sl_triggers": ("Stop-loss triggers", []),
    "partner_fees_sol": ("Partner fees collected, in SOL", []),
    "events_ingested": ("Events stored (not synthetic), by type", ["type"]),
}
HISTOGRAM_HELP = {
    "trade_confirmation_ms": "Confirmation time of successful trades in ms",
    "vibe_duration_ms": "Duration of /vibe commands in ms",
}


def _counter_families(counters: dict):
    for name, (help_text, labels) in COUNTERS.items():
        family = CounterMetricFamily(PREFIX + name, help_text, labels=labels)
        for label_values, value in counters.get(name, []):
            family.add_metric([label_values.get(k, "") for k in labels], value)
        if not labels and not counters.get(name):
            family.add_metric([], 0.0)  # a counter exists from zero, not from its first event
        yield family
    for name, bounds in HISTOGRAMS.items():
        per_bucket = {labels["le"]: value for labels, value in counters.get(f"{name}_bucket", [])}
        cumulative, buckets = 0.0, []
        for le in [*map(str, bounds), "+Inf"]:
            cumulative += per_bucket.get(le, 0.0)
            buckets.append((floatToGoString(float(le)), cumulative))  # le="500.0", as usual
        total = sum(value for _, value in counters.get(f"{name}_sum", [])) or 0.0
        family = HistogramMetricFamily(PREFIX + name, HISTOGRAM_HELP[name])
        family.add_metric([], buckets=buckets, sum_value=total)
        yield family


class MetricsCollector:
    def __init__(self, body: dict, counters: dict | None = None):
        self.body = body
        self.counters = counters

    def collect(self):
        body = self.body
        for key, help_text in HELP.items():
            value = body.get(key)
            if value is None:
                continue
            yield GaugeMetricFamily(PREFIX + key, help_text, value=float(value))
        confirmation = GaugeMetricFamily(
            PREFIX + "confirmation_ms", "Trade confirmation time quantiles in ms, last hour",
            labels=["quantile"])
        for name, q in (("p50", "0.5"), ("p95", "0.95"), ("p99", "0.99")):
            if body["confirmation_ms"][name] is not None:
                confirmation.add_metric([q], body["confirmation_ms"][name])
        yield confirmation
        usage = GaugeMetricFamily(PREFIX + "rate_limit_usage",
                                  "Rate limit used over limit, per API", labels=["api"])
        for api, value in body["rate_limit_usage"].items():
            if value is not None:
                usage.add_metric([api], value)
        yield usage
        yield from _performance_families(body.get("performance") or {})
        yield from _dependency_families(body.get("dependencies") or {})
        if body.get("active_rpc"):
            yield InfoMetricFamily(PREFIX + "active_rpc", "The RPC endpoint in use",
                                   value={"name": body["active_rpc"]})
        if self.counters is not None:
            yield from _counter_families(self.counters)


def prometheus_text(body: dict, counters: dict | None = None) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MetricsCollector(body, counters))
    return generate_latest(registry)


def _performance_families(perf: dict):
    """Per-measurement p95, baseline p95 and their ratio, labelled by measurement."""
    specs = (("p95", "perf_p95", "Current-window p95 of a performance measurement"),
             ("baseline_p95", "perf_baseline_p95", "Active baseline p95 of a measurement"),
             ("ratio", "perf_p95_ratio", "Current p95 over baseline p95"))
    for key, name, help_text in specs:
        family = GaugeMetricFamily(PREFIX + name, help_text, labels=["measurement"])
        for measurement, values in perf.items():
            if values.get(key) is not None:
                family.add_metric([measurement], float(values[key]))
        yield family


def _dependency_families(deps: dict):
    """Each dependency's last probe (up, down, latency, certificate days), by `name`."""
    specs = (("up", "dependency_up", "1 if the dependency's last probe passed"),
             ("down", "dependency_down", "1 if the dependency failed its last probes in a row"),
             ("latency_ms", "dependency_latency_ms", "Latency of the dependency's last probe"),
             ("cert_days_left", "dependency_cert_days_left",
              "Days until the dependency's TLS certificate expires"))
    for key, name, help_text in specs:
        family = GaugeMetricFamily(PREFIX + name, help_text, labels=["name"])
        for dep, values in deps.items():
            if values.get(key) is not None:
                family.add_metric([dep], float(values[key]))
        yield family
