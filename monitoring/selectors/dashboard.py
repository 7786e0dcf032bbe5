"""What the staff health dashboard shows: read from snapshots and uptime samples."""

import datetime

from django.db.models import Count, Q
from django.db.models.functions import TruncDay

from monitoring.models import BotMinute, BotState, MetricSnapshot, UptimeSample

HOURS = 24
DAYS = 30


def dashboard_hourly_series(*, now: datetime.datetime) -> dict[str, list]:
    """Each hour of the last 24 h: its last snapshot's trades/h, error rate, p95 (None: none)."""
    start = now.replace(minute=0, second=0, microsecond=0) - datetime.timedelta(hours=HOURS - 1)
    hours = [start + datetime.timedelta(hours=i) for i in range(HOURS)]
    last: dict[datetime.datetime, tuple] = {}
    rows = (MetricSnapshot.objects.filter(taken_at__gte=start, taken_at__lte=now)
            .order_by("taken_at")
            .values_list("taken_at", "trades_per_hour", "error_rate", "confirmation_p95_ms"))
    for taken_at, trades, error_rate, p95 in rows:
        last[taken_at.replace(minute=0, second=0, microsecond=0)] = (trades, error_rate, p95)
    empty = (None, None, None)
    return {
        "hours": hours,
        "trades_per_hour": [last.get(h, empty)[0] for h in hours],
        "error_rate": [last.get(h, empty)[1] for h in hours],
        "confirmation_p95_ms": [last.get(h, empty)[2] for h in hours],
    }


def dashboard_uptime_days(*, now: datetime.datetime) -> list[dict]:
    """The last 30 days, oldest first: {day, samples, up_ratio (None if no samples)}."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - datetime.timedelta(days=DAYS - 1)
    agg = {
        row["day"].date(): row
        for row in UptimeSample.objects.filter(minute__gte=first, minute__lte=now)
        .annotate(day=TruncDay("minute")).values("day")
        .annotate(n=Count("id"), up=Count("id", filter=Q(up=True)))
    }
    out = []
    for i in range(DAYS):
        day = (first + datetime.timedelta(days=i)).date()
        row = agg.get(day)
        out.append({"day": day, "samples": row["n"] if row else 0,
                    "up_ratio": row["up"] / row["n"] if row and row["n"] else None})
    return out


def dashboard_bot_days(*, now: datetime.datetime) -> list[dict]:
    """The bot's last 30 days, oldest first: {day, samples (judged minutes), up_ratio,
    degraded_ratio} (ratios None before the bot's first signal)."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - datetime.timedelta(days=DAYS - 1)
    agg = {
        row["day"].date(): row
        for row in BotMinute.objects.filter(minute__gte=first, minute__lte=now)
        .annotate(day=TruncDay("minute")).values("day")
        .annotate(n=Count("id"), up=Count("id", filter=Q(state=BotState.UP)),
                  degraded=Count("id", filter=Q(state=BotState.DEGRADED)))
    }
    out = []
    for i in range(DAYS):
        day = (first + datetime.timedelta(days=i)).date()
        row = agg.get(day)
        n, up, degraded = (row["n"], row["up"], row["degraded"]) if row else (0, 0, 0)
        out.append({"day": day, "samples": n, "up_ratio": up / n if n else None,
                    "degraded_ratio": degraded / n if n else None})
    return out
