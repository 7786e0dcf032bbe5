"""Shared records: the scheduler's lease and per-period claims of periodic work."""

from django.db import models


class SchedulerLease(models.Model):
    """Which beat process may dispatch periodic tasks, until `expires_at`.

    Only the holder dispatches; it renews the lease on every tick. Another beat
    waits as a standby and takes the lease once it has expired (its holder died
    or hung), so exactly one scheduler runs however many are started.
    """

    name = models.CharField(max_length=50, unique=True, default="beat")
    holder = models.CharField(max_length=200, help_text="host:pid:random of the holder")
    hostname = models.CharField(max_length=200, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    acquired_at = models.DateTimeField()
    renewed_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name}: {self.holder} until {self.expires_at:%H:%M:%S}"


class PeriodClaim(models.Model):
    """The last run of one periodic job: a run is claimed only when the last claim is at
    least half its period old, so a second dispatch of the same period (two schedulers,
    a retry, an overlapping restart) does nothing, even across a period boundary."""

    key = models.CharField(max_length=150, unique=True)
    last_claimed_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=200, blank=True)

    def __str__(self):
        return f"{self.key} @ {self.last_claimed_at:%Y-%m-%d %H:%M:%S}"
