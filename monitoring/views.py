"""The staff health dashboard (HTML); the JSON API lives in monitoring/api/."""

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.utils import timezone

from monitoring.charts import line_chart
from monitoring.selectors.dashboard import (
    dashboard_bot_days,
    dashboard_hourly_series,
    dashboard_uptime_days,
)
from monitoring.selectors.metrics import metrics_current
from monitoring.selectors.probes import dependency_dashboard
from monitoring.services.health import health_current


def _pct(value) -> str:
    return "–" if value is None else f"{value * 100:.2f} %"


def _kpis(m: dict) -> list[tuple[str, str]]:
    ws = {True: "connected", False: "disconnected", None: "unknown"}[m["websocket_connected"]]
    p95 = m["confirmation_ms"]["p95"]
    vibe = m["vibe_p95_ms_24h"]
    return [
        ("Trades, 24 h", str(m["trades_24h"])),
        ("Trades, last hour", str(m["trades_per_hour"])),
        ("Error rate, 1 h", _pct(m["error_rate"])),
        ("Trade success, 1 h", _pct(m["trade_success_rate"])),
        ("p95 confirmation, 1 h", "–" if p95 is None else f"{p95:,.0f} ms"),
        ("Partner fees 24 h", f"{m['partner_fees_sol_24h']} SOL"),
        ("Trades without TP/SL, 24 h", str(m["trades_without_tpsl_24h"])),
        # The bot's two Telegram commands: what a new user tries first.
        ("/demo success, 24 h", _pct(m["demo_success_rate_24h"])),
        ("/vibe p95, 24 h", "–" if vibe is None else f"{vibe:,.0f} ms"),
        ("Websocket", ws),
        ("Active RPC", m["active_rpc"] or "–"),
        ("Late heartbeats", str(m["heartbeats_late"])),
        # The bot's uptime (its own signals); the portal's /health is shown apart.
        ("Bot uptime 24 h", _pct(m["uptime_24h"])),
        ("Bot uptime 30 d", _pct(m["uptime_30d"]) + (
            f" (data since {m['uptime_data_since'][:16].replace('T', ' ')})"
            if m["uptime_data_since"] else "")),
        ("Bot degraded 24 h", _pct(m["bot_degraded_24h"])),
        ("Portal uptime 24 h", _pct(m["portal_uptime_24h"])),
        ("Portal uptime 30 d", _pct(m["portal_uptime_30d"])),
    ]


def _colored(days: list[dict]) -> list[dict]:
    for d in days:
        ratio = d["up_ratio"]
        d["color"] = ("none" if ratio is None else "green" if ratio >= 0.999
                      else "amber" if ratio >= 0.99 else "red")
    return days


def _color(check: dict) -> str:
    if check["ok"]:
        return "green"
    return "red" if check["critical"] else "amber"


@staff_member_required
def dashboard(request):
    """GET /dashboard/: component status, key numbers, 24 h charts and 30-day uptime."""
    now = timezone.now()
    code, health = health_current()
    metrics = metrics_current(now=now)
    series = dashboard_hourly_series(now=now)
    labels = [h.strftime("%H:00") for h in series["hours"]]
    error_pct = [None if v is None else round(v * 100, 2) for v in series["error_rate"]]
    charts = [
        ("Trades per hour", "", line_chart(series["trades_per_hour"], labels=labels)),
        ("Error rate", "%", line_chart(error_pct, labels=labels)),
        ("p95 confirmation", "ms", line_chart(series["confirmation_p95_ms"], labels=labels)),
    ]
    components = [{"name": name, "color": _color(c), **c}
                  for name, c in health["checks"].items()]
    days = _colored(dashboard_uptime_days(now=now))
    bot_days = _colored(dashboard_bot_days(now=now))
    dependencies, bucket_starts = dependency_dashboard(now=now)
    dep_labels = [t.strftime("%H:%M") for t in bucket_starts]
    dependency_charts = [(f"{d['row'].name} latency", "ms",
                          line_chart(d["latency"], labels=dep_labels,
                                     reference=d["row"].latency_budget_ms))
                         for d in dependencies]
    return render(request, "monitoring/dashboard.html", {
        "dependencies": dependencies, "dependency_charts": dependency_charts,
        "title": "Health dashboard", "health": health, "components": components,
        "metrics": metrics, "kpis": _kpis(metrics), "charts": charts, "days": days,
        "bot_days": bot_days,
        "overall": {"healthy": "green", "degraded": "amber"}.get(health["status"], "red"),
    })
