"""The numbers the checklist's feature items are judged on, from the bot's own events.

Counts and percentiles over the last 24 h come from the same tallies as /metrics
(rollups plus the raw events of the window's cut edges; synthetic events are
never counted), so the checklist and /metrics cannot disagree. Each number comes
with the count it is computed from: the checklist needs a minimum sample before
it judges, so that silence is "no evidence" rather than a pass.
"""

import datetime

from django.utils import timezone

from monitoring.models import Event
from monitoring.selectors.metrics import tallies_since

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def _p95(histogram) -> float | None:
    value = histogram.quantile(0.95)
    return None if value is None else round(value, 2)


def websocket_connected_share(*, start: datetime.datetime, now: datetime.datetime) -> dict:
    """How much of (start, now] the bot's websocket was connected, time-weighted.

    A ws_status event states the connection from its `ts` until the next one; the
    last event at or before `start` carries its state into the window. Time before
    the first known state counts as not connected: a ratio is only as good as the
    time it covers. `connected_ratio` is None when no event is in or before the
    window (no evidence at all).
    """
    reports = Event.objects.filter(type="ws_status", synthetic=False)
    # Ties on ts: the later received (then the larger id) is the newer state.
    carried = (reports.filter(ts__lte=start).order_by("-ts", "-received_at", "-id")
               .values_list("ts", "payload").first())
    inside = list(reports.filter(ts__gt=start, ts__lte=now)
                  .order_by("ts", "received_at", "id").values_list("ts", "payload"))
    window = (now - start).total_seconds()
    state: bool | None = carried[1]["connected"] if carried else None
    since, connected, known = start, 0.0, 0.0
    for ts, payload in [*inside, (now, None)]:
        if state is not None:
            span = (ts - since).total_seconds()
            known += span
            connected += span if state else 0.0
        if payload is not None:
            state, since = payload["connected"], ts
    no_evidence = carried is None and not inside
    return {
        "window_seconds": window,
        "events": len(inside),
        "carried_in_from": carried[0] if carried else None,
        "known_seconds": round(known, 3),
        "connected_seconds": round(connected, 3),
        "connected_ratio": None if no_evidence or not window else round(connected / window, 6),
    }


def feature_evidence(*, now: datetime.datetime | None = None) -> dict:
    """The feature items' numbers at `now`, each with its sample size.

    Windows: (now - 24 h, now] for trades and commands, (now - 1 h, now] for the
    websocket. Percentiles carry the histogram's ±1 % error.
    """
    now = now or timezone.now()
    (day,) = tallies_since(now, [now - DAY])
    return {
        "now": now,
        "demo": {"trades": day.demo, "trades_ok": day.demo_ok,
                 "commands": day.demo_commands, "commands_ok": day.demo_commands_ok},
        "vibe": {"commands": day.vibe_commands, "ok": day.vibe_ok,
                 "p95_ms": _p95(day.vibe_ms), "p95_samples": day.vibe_ms.count},
        "bags": {"trades": day.bags_ok + day.bags_failed, "trades_ok": day.bags_ok},
        "tpsl": {"trades": day.trades, "without_tpsl": day.without_tpsl},
        "confirmation": {"p95_ms": _p95(day.confirmation), "samples": day.confirmation.count},
        "websocket": websocket_connected_share(start=now - HOUR, now=now),
    }
