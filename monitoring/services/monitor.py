"""The minute loop: one pass = a list of steps, each returning what it changed.

`monitor_once` and the every-minute beat task both call `monitor_pass`.
Issue 4 appends RPC probing (before the health sample) and alert rule
evaluation (after the snapshot) to STEPS.
"""

import datetime
from collections.abc import Callable

from django.utils import timezone

from opsportal.scheduling import Schedule

from . import health, heartbeats, snapshots

SCHEDULES = [
    Schedule(name="monitor pass", task="monitoring.tasks.monitor_pass", every_seconds=60),
]


def step_health_sample(*, now: datetime.datetime) -> list[str]:
    code, body = health.health_refresh()
    sample = health.uptime_sample_record(now=now, code=code, body=body)
    failed = f" (failing: {', '.join(sample.failed_checks)})" if sample.failed_checks else ""
    return [f"health: {sample.status}{failed}"]


def step_heartbeats(*, now: datetime.datetime) -> list[str]:
    return heartbeats.heartbeats_refresh(now=now)


def step_metric_snapshot(*, now: datetime.datetime) -> list[str]:
    snap = snapshots.metric_snapshot_take(now=now)
    return [f"snapshot: {snap.trades_per_hour} trades/h, error rate {snap.data['error_rate']}"]


# Order matters: heartbeats first so the health sample sees their fresh status.
STEPS: list[Callable[..., list[str]]] = [step_heartbeats, step_health_sample,
                                         step_metric_snapshot]


def monitor_pass(*, now: datetime.datetime | None = None) -> list[str]:
    """Run every step once at `now`; -> the summary lines of what changed."""
    now = now or timezone.now()
    lines = []
    for step in STEPS:
        lines.extend(step(now=now))
    return lines
