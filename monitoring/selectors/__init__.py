"""Reads for monitoring, one module per aggregate; this module re-exports the common ones."""

from datetime import datetime

from monitoring.models import SchedulerHeartbeat
from monitoring.selectors.heartbeats import heartbeat_status_at, heartbeats_overdue
from monitoring.selectors.metrics import (
    metric_sample_counts,
    metrics_current,
    metrics_with_sample_counts,
)

__all__ = [
    "heartbeat_status_at", "heartbeats_overdue", "metric_sample_counts", "metrics_current",
    "metrics_with_sample_counts", "scheduler_last_seen",
]


def scheduler_last_seen() -> datetime | None:
    return (
        SchedulerHeartbeat.objects.order_by("-last_seen_at")
        .values_list("last_seen_at", flat=True)
        .first()
    )
