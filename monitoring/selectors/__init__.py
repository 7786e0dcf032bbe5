"""Reads for monitoring."""

from datetime import datetime

from ..models import SchedulerHeartbeat


def scheduler_last_seen() -> datetime | None:
    return (
        SchedulerHeartbeat.objects.order_by("-last_seen_at")
        .values_list("last_seen_at", flat=True)
        .first()
    )
