"""`bootstrap`'s monitoring part: its schedules."""

from common.scheduling import periodic_task_upsert
from monitoring.services import events, health

SCHEDULES = [*health.SCHEDULES, *events.SCHEDULES]


def monitoring_bootstrap() -> list[str]:
    """Idempotent: every monitoring schedule, upserted by name."""
    created = [s.name for s in SCHEDULES if periodic_task_upsert(schedule=s)]
    return [f"monitoring schedules: {len(SCHEDULES)} ({len(created)} new)"]
