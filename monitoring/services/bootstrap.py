"""`bootstrap`'s monitoring part: schedules (and, as they come, rules and channels)."""

from monitoring.services import alert_rules, events, health, monitor
from opsportal.scheduling import periodic_task_upsert

SCHEDULES = [*health.SCHEDULES, *monitor.SCHEDULES, *events.SCHEDULES]


def monitoring_bootstrap() -> list[str]:
    """Idempotent: every monitoring schedule, upserted by name."""
    created = [s.name for s in SCHEDULES if periodic_task_upsert(schedule=s)]
    lines = [f"monitoring schedules: {len(SCHEDULES)} ({len(created)} new)"]
    lines += alert_rules.alert_rules_bootstrap()
    return lines
