"""The V1 success metrics' rolling 30-day windows, from the bot's events.

The plan judges its success metrics over the first 30 days, so the checklist
reads them over (now - 30 days, now], not over /metrics' 1 h or 24 h windows.
The same rollups back them (hourly rollups are kept 31 days whatever the event
retention); `data_since` says how much of the window holds data while the bot
has been sending events for less than 30 days.
"""

import datetime

from django.db.models import Min

from monitoring.models import Event
from monitoring.selectors.metrics import tallies_since
from monitoring.selectors.uptime import bot_uptime


def _ratio(num: int, den: int) -> float | None:
    return None if not den else round(num / den, 6)


def _p95(histogram) -> float | None:
    value = histogram.quantile(0.95)
    return None if value is None else round(value, 2)


def success_window(*, now: datetime.datetime, days: int = 30) -> dict:
    """Each 30-day success number with the sample it comes from.

    `trade_error_rate` counts trades only (failed trades over trades): failed
    commands are not trade executions.
    """
    start = now - datetime.timedelta(days=days)
    (t,) = tallies_since(now, [start])
    first = Event.objects.filter(synthetic=False, ts__gt=start, ts__lte=now) \
        .aggregate(m=Min("ts"))["m"]
    uptime = bot_uptime(now=now)
    return {
        "start": start,
        "days": days,
        "data_since": first,
        "days_of_data": round((now - first).total_seconds() / 86400, 1) if first else 0.0,
        "trades": t.trades,
        "trade_error_rate": _ratio(t.trades - t.trades_ok, t.trades),
        "confirmation_p95_ms": _p95(t.confirmation),
        "confirmation_samples": t.confirmation.count,
        "demo_success_rate": _ratio(t.demo_ok, t.demo),
        "demo_trades": t.demo,
        "vibe_p95_ms": _p95(t.vibe_ms),
        "vibe_samples": t.vibe_ms.count,
        "bags_share": _ratio(t.bags, t.trades),
        "uptime": uptime["uptime_30d"],
        "uptime_minutes": uptime["minutes_30d"],
        "uptime_data_since": uptime["data_since"],
    }
