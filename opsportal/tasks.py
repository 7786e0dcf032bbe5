from celery import shared_task

from common.beat import period_claim
from opsportal import minute


@shared_task
def monitor_pass() -> str:
    # Once a minute however many schedulers sent it (common/beat.py): RPC probes,
    # failovers and alert evaluation never run twice in one minute.
    if not period_claim(key="monitor pass", every_seconds=60):
        return "monitor pass: skipped, already run this minute"
    return "; ".join(minute.monitor_pass())
