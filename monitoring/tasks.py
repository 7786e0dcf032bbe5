from celery import shared_task

from . import services


@shared_task
def scheduler_heartbeat() -> str:
    beat = services.scheduler_heartbeat_record()
    return f"scheduler heartbeat at {beat.last_seen_at.isoformat()}"
