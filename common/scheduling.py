"""Beat schedules are declared in code and upserted by name.

Never deleted and recreated: `last_run_at` and an operator's enable/disable
toggle in admin survive every deploy and every `bootstrap`.
"""

from dataclasses import dataclass, field

from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    every_seconds: int | None = None
    crontab: dict = field(default_factory=dict)  # minute, hour, day_of_week, ...
    kwargs: str = "{}"


def periodic_task_upsert(*, schedule: Schedule) -> bool:
    """Create the periodic task if missing; refresh its task and timing. True if created."""
    defaults = {"task": schedule.task, "kwargs": schedule.kwargs}
    if schedule.every_seconds:
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=schedule.every_seconds, period=IntervalSchedule.SECONDS
        )
        defaults |= {"interval": interval, "crontab": None}
    else:
        cron = {"minute": "0", "hour": "*", "day_of_week": "*", "day_of_month": "*",
                "month_of_year": "*"} | schedule.crontab
        crontab, _ = CrontabSchedule.objects.get_or_create(**cron, timezone="UTC")
        defaults |= {"crontab": crontab, "interval": None}
    task, created = PeriodicTask.objects.get_or_create(name=schedule.name, defaults=defaults)
    if not created:
        # Keep `enabled` and `last_run_at` as the operator left them.
        changed = [k for k, v in defaults.items() if getattr(task, k) != v]
        if changed:
            for k in changed:
                setattr(task, k, defaults[k])
            task.save(update_fields=changed)
    return created
