"""Reads for heartbeats."""

import datetime

from django.db.models import QuerySet

from monitoring.models import Heartbeat, HeartbeatStatus, PingKind


def heartbeats_list() -> QuerySet[Heartbeat]:
    return Heartbeat.objects.order_by("name")


def heartbeat_status_at(*, heartbeat: Heartbeat, now: datetime.datetime) -> str:
    """new (never pinged), down (reported /fail, or past period + grace), late (past period), up."""
    if heartbeat.last_ping_at is None:
        return HeartbeatStatus.NEW
    if heartbeat.last_ping_kind == PingKind.FAIL:
        return HeartbeatStatus.DOWN
    age = (now - heartbeat.last_ping_at).total_seconds()
    if age <= heartbeat.period_seconds:
        return HeartbeatStatus.UP
    if age <= heartbeat.period_seconds + heartbeat.grace_seconds:
        return HeartbeatStatus.LATE
    return HeartbeatStatus.DOWN


def heartbeats_overdue(*, now: datetime.datetime) -> list[tuple[Heartbeat, str]]:
    """Heartbeats that are late or down at `now`, with that status."""
    out = []
    for hb in Heartbeat.objects.order_by("name"):
        status = heartbeat_status_at(heartbeat=hb, now=now)
        if status in (HeartbeatStatus.LATE, HeartbeatStatus.DOWN):
            out.append((hb, status))
    return out
