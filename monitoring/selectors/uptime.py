"""Uptime of the bot (from BotMinute) and of the portal itself (from UptimeSample).

Both count every minute from the first one known: a minute with no row (the loop
was not running, or the portal was down) is down, never left out of the ratio.
"""

import datetime

from django.db.models import Count, Max, Min, Q

from monitoring.models import BotMinute, BotState, UptimeSample

MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)
MONTH = datetime.timedelta(days=30)


def _ceil_minute(ts: datetime.datetime) -> datetime.datetime:
    floor = ts.replace(second=0, microsecond=0)
    return floor if floor == ts else floor + MINUTE


def _minutes(first, last) -> int:
    return int((last - first) / MINUTE) + 1 if first is not None and last >= first else 0


def _windows(model, field: str, now: datetime.datetime, up_q: Q, degraded_q: Q | None):
    """One query: the first and last minute, and per window the rows up (and degraded).

    The counts need not know the first minute: there are no rows before it."""
    settled = Q(**{f"{field}__lte": now - MINUTE})
    lows = {name: _ceil_minute(now - length) for name, length in (("24h", DAY), ("30d", MONTH))}
    aggs: dict = {"first": Min(field, filter=settled), "last": Max(field, filter=settled)}
    for name, low in lows.items():
        in_window = settled & Q(**{f"{field}__gte": low})
        aggs[f"up{name}"] = Count("id", filter=in_window & up_q)
        if degraded_q is not None:
            aggs[f"deg{name}"] = Count("id", filter=in_window & degraded_q)
    counts = model.objects.aggregate(**aggs)
    first, last = counts["first"], counts["last"]
    out: dict = {"first": first}
    for name, low in lows.items():
        minutes = _minutes(max(first, low), last) if first is not None else 0
        out[name] = {"minutes": minutes, "up": counts[f"up{name}"],
                     "degraded": counts.get(f"deg{name}", 0)}
    return out


def _ratio(num: int, den: int) -> float | None:
    return None if not den else round(num / den, 6)


def bot_uptime(*, now: datetime.datetime) -> dict:
    """The bot's uptime and degraded share over the last 24 h and 30 days.

    `data_since` is the first judged minute while it is inside the 30 days (fewer
    than 30 days of data), else None. Ratios are None before the bot's first signal.
    """
    w = _windows(BotMinute, "minute", now, Q(state=BotState.UP), Q(state=BotState.DEGRADED))
    first = w["first"]
    return {
        "uptime_24h": _ratio(w["24h"]["up"], w["24h"]["minutes"]),
        "uptime_30d": _ratio(w["30d"]["up"], w["30d"]["minutes"]),
        "degraded_24h": _ratio(w["24h"]["degraded"], w["24h"]["minutes"]),
        "degraded_30d": _ratio(w["30d"]["degraded"], w["30d"]["minutes"]),
        "minutes_24h": w["24h"]["minutes"],
        "minutes_30d": w["30d"]["minutes"],
        "data_since": first if first is not None and first > now - MONTH else None,
    }


def portal_uptime(*, now: datetime.datetime) -> dict:
    """The portal's own /health: the share of minutes it was not unhealthy."""
    w = _windows(UptimeSample, "minute", now, Q(up=True), None)
    return {
        "uptime_24h": _ratio(w["24h"]["up"], w["24h"]["minutes"]),
        "uptime_30d": _ratio(w["30d"]["up"], w["30d"]["minutes"]),
        "minutes_24h": w["24h"]["minutes"],
        "minutes_30d": w["30d"]["minutes"],
    }
