from celery import shared_task

from common.postgresql.base import query_timeout
from monitoring.services import events, health


@shared_task
def scheduler_heartbeat() -> str:
    beat = health.scheduler_heartbeat_record()
    return f"scheduler heartbeat at {beat.last_seen_at.isoformat()}"


@shared_task
def health_refresh() -> str:
    _, body = health.health_refresh()
    return f"health {body['status']}"


@shared_task
def events_prune() -> str:
    with query_timeout(None):  # one DELETE over a day of events may take a while
        deleted = events.events_prune()
    return "pruned " + ", ".join(f"{n} {what}" for what, n in deleted.items())
