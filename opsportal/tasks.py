from celery import shared_task

from opsportal import minute


@shared_task
def monitor_pass() -> str:
    return "; ".join(minute.monitor_pass())
