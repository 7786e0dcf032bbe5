"""Metric snapshots: the /metrics body every minute, for the dashboard's charts."""

import datetime

from monitoring.models import MetricSnapshot
from monitoring.selectors.metrics import metrics_current


def metric_snapshot_take(*, now: datetime.datetime) -> MetricSnapshot:
    body = metrics_current(now=now)
    return MetricSnapshot.objects.create(
        taken_at=now, data=body, trades_per_hour=body["trades_per_hour"],
        error_rate=body["error_rate"], confirmation_p95_ms=body["confirmation_ms"]["p95"])
