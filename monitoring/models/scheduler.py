from django.db import models


class SchedulerHeartbeat(models.Model):
    """One row per process role that proves the scheduler chain is alive.

    Beat enqueues `monitoring.tasks.scheduler_heartbeat` every 30 s and a worker
    runs it: a fresh `last_seen_at` proves beat, broker and worker all work.
    """

    name = models.CharField(max_length=50, unique=True)
    last_seen_at = models.DateTimeField()
    hostname = models.CharField(max_length=200, blank=True)

    def __str__(self):
        return f"{self.name} @ {self.last_seen_at:%Y-%m-%d %H:%M:%S}"
