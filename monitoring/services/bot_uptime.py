"""The bot's uptime: judge each settled minute from the signals the bot sent in it.

The portal's own /health says nothing about the bot: a portal can be healthy while
the bot is dead. So a minute is judged from what only a running bot produces: its
events (by `ts`) and pings of its heartbeats (settings.BOT_HEARTBEATS). A minute
with neither, in it or in the grace seconds before it, is down. A websocket that
reported disconnected during the minute makes a live bot degraded, its own state:
not up, not down. Data starts at the bot's first signal ever, so a portal installed
before the bot is connected does not start the bot's record with days of "down".
"""

import datetime
from bisect import bisect_left

from django.conf import settings
from django.db.models import Count, Max, Min
from django.db.models.functions import TruncMinute
from django.utils import timezone

from monitoring.models import BotMinute, BotState, Event, HeartbeatPing, PingKind

MINUTE = datetime.timedelta(minutes=1)
BACKFILL_DAYS = 30
# A portal that was stopped for days catches up over several passes, oldest first,
# so one pass stays well under its minute.
MAX_MINUTES_PER_PASS = 1440


def _floor(ts: datetime.datetime) -> datetime.datetime:
    return ts.replace(second=0, microsecond=0)


def bot_first_signal() -> datetime.datetime | None:
    """The `ts` of the bot's first event or the time of its heartbeats' first ping."""
    first_event = Event.objects.filter(synthetic=False).aggregate(m=Min("ts"))["m"]
    first_ping = (HeartbeatPing.objects.filter(heartbeat__name__in=settings.BOT_HEARTBEATS)
                  .aggregate(m=Min("at"))["m"])
    found = [t for t in (first_event, first_ping) if t is not None]
    return min(found) if found else None


def _range_to_judge(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime] | None:
    """[first, last] minutes this pass judges; None when there is nothing to judge."""
    last = _floor(now - datetime.timedelta(seconds=settings.BOT_UPTIME_SETTLE_SECONDS)) - MINUTE
    oldest = last - datetime.timedelta(days=BACKFILL_DAYS)
    bounds = BotMinute.objects.aggregate(first=Min("minute"), latest=Max("minute"))
    latest = bounds["latest"]
    if latest is None:
        signal = bot_first_signal()
        if signal is None or _floor(signal) > last:
            return None
        start = max(_floor(signal), oldest)
    else:
        recheck = _floor(now - datetime.timedelta(minutes=settings.BOT_UPTIME_RECHECK_MINUTES))
        start = max(min(latest + MINUTE, recheck), bounds["first"], oldest)
    if start > last:
        return None
    return start, min(last, start + (MAX_MINUTES_PER_PASS - 1) * MINUTE)


def _event_counts(lo: datetime.datetime, hi: datetime.datetime) -> dict:
    rows = (Event.objects.filter(ts__gte=lo, ts__lt=hi, synthetic=False)
            .annotate(m=TruncMinute("ts")).values("m").annotate(n=Count("id")))
    return {row["m"]: row["n"] for row in rows}


def _ws_states(lo: datetime.datetime, hi: datetime.datetime) -> tuple[bool | None, list]:
    """The websocket state carried into `lo` and the reports in [lo, hi), oldest first."""
    reports = Event.objects.filter(type="ws_status", synthetic=False)
    carried = (reports.filter(ts__lt=lo).order_by("-ts", "-received_at", "-id")
               .values_list("payload", flat=True).first())
    inside = list(reports.filter(ts__gte=lo, ts__lt=hi).order_by("ts", "received_at", "id")
                  .values_list("ts", "payload"))
    return (None if carried is None else bool(carried["connected"])), inside


def _judge(minutes: list[datetime.datetime], now: datetime.datetime) -> list[BotMinute]:
    grace = datetime.timedelta(seconds=settings.BOT_SIGNAL_GRACE_SECONDS)
    lo, hi = minutes[0] - max(grace, MINUTE), minutes[-1] + MINUTE
    events = _event_counts(lo, hi)
    pings = list(HeartbeatPing.objects.filter(heartbeat__name__in=settings.BOT_HEARTBEATS,
                                              at__gte=lo, at__lt=hi)
                 .order_by("at", "id").values_list("at", "kind", "heartbeat__name"))
    at = [p[0] for p in pings]
    ws, ws_reports = _ws_states(minutes[0], hi)
    out, w = [], 0
    for m in minutes:
        end = m + MINUTE
        n_events = events.get(m, 0)
        lo_i, start_i, end_i = (bisect_left(at, t) for t in (m - grace, m, end))
        inside = pings[start_i:end_i]
        alive = n_events > 0 or any(p[1] != PingKind.FAIL for p in pings[lo_i:end_i])
        if not alive and events.get(m - MINUTE) and grace:
            # Only the minute before can hold the grace seconds: look there only when it
            # had events at all (one indexed query per such edge, not per minute).
            alive = Event.objects.filter(ts__gte=m - grace, ts__lt=m, synthetic=False).exists()
        disconnected = ws is False
        while w < len(ws_reports) and ws_reports[w][0] < end:
            ws = bool(ws_reports[w][1]["connected"])
            disconnected = disconnected or ws is False
            w += 1
        if inside and inside[-1][1] == PingKind.FAIL:
            state, reason = BotState.DOWN, f"heartbeat {inside[-1][2]} reported fail"
        elif not alive:
            state, reason = BotState.DOWN, "no signal from the bot (no event, no heartbeat ping)"
        elif disconnected:
            state, reason = BotState.DEGRADED, "websocket reported disconnected"
        else:
            state, reason = BotState.UP, ""
        out.append(BotMinute(minute=m, state=state, events=n_events, pings=len(inside),
                             ws_connected=ws, reason=reason, computed_at=now))
    return out


def bot_minutes_record(*, now: datetime.datetime | None = None) -> list[str]:
    """Judge the settled minutes not judged yet and re-judge the recent ones.

    -> one line for the minute loop ("bot: 12 minutes judged, last up"), or nothing.
    Idempotent and safe for two concurrent passes: rows are upserted by minute.
    """
    now = now or timezone.now()
    span = _range_to_judge(now)
    if span is None:
        return []
    first, last = span
    count = int((last - first) / MINUTE) + 1
    rows = _judge([first + i * MINUTE for i in range(count)], now)
    BotMinute.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["minute"],
        update_fields=["state", "events", "pings", "ws_connected", "reason", "computed_at"])
    down = sum(r.state == BotState.DOWN for r in rows)
    return [f"bot: {len(rows)} minutes judged ({down} down), "
            f"{rows[-1].minute:%H:%M} {rows[-1].state}"]
