from celery import shared_task
from django.utils import timezone

from .services import alerts, health, rpc


@shared_task
def scheduler_heartbeat() -> str:
    beat = health.scheduler_heartbeat_record()
    return f"scheduler heartbeat at {beat.last_seen_at.isoformat()}"


@shared_task
def rpc_probe() -> str:
    probes = rpc.rpc_endpoints_probe(now=timezone.now())
    return f"rpc probes: {sum(p.ok for p in probes)}/{len(probes)} ok"


@shared_task
def alerts_evaluate() -> str:
    lines = alerts.alerts_tick(now=timezone.now())
    return f"alerts evaluated: {'; '.join(lines) or 'no change'}"
