from celery import shared_task

from .services import health


@shared_task
def scheduler_heartbeat() -> str:
    beat = health.scheduler_heartbeat_record()
    return f"scheduler heartbeat at {beat.last_seen_at.isoformat()}"
