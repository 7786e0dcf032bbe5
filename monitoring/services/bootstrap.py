"""`bootstrap`'s monitoring part: its schedules and the dependencies set in settings."""

from common.scheduling import periodic_task_upsert
from monitoring.services import events, health, probes

SCHEDULES = [*health.SCHEDULES, *events.SCHEDULES]


def monitoring_bootstrap() -> list[str]:
    """Idempotent: every monitoring schedule, upserted by name."""
    created = [s.name for s in SCHEDULES if periodic_task_upsert(schedule=s)]
    return [f"monitoring schedules: {len(SCHEDULES)} ({len(created)} new)",
            *probes.dependencies_bootstrap()]
