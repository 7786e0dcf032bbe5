"""Stored component health, per-minute uptime samples and metric snapshots."""

from django.db import models


class HealthStatus(models.TextChoices):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


class ComponentState(models.Model):
    """The latest /health body, refreshed in the background every few seconds.

    A single row (name="portal"): /health serves it (from process memory most
    of the time) instead of running every check on every request.
    """

    name = models.CharField(max_length=50, unique=True, default="portal")
    status = models.CharField(max_length=10, choices=HealthStatus.choices)
    http_status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    checked_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name}: {self.status} at {self.checked_at:%H:%M:%S}"


class UptimeSample(models.Model):
    """One health result per minute; uptime_24h/30d are the share of `up` samples."""

    minute = models.DateTimeField(unique=True)
    status = models.CharField(max_length=10, choices=HealthStatus.choices)
    up = models.BooleanField(help_text="Not unhealthy (degraded still serves).")
    failed_checks = models.JSONField(default=list, blank=True)

    def __str__(self):
        return f"{self.minute:%Y-%m-%d %H:%M} {self.status}"


class MetricSnapshot(models.Model):
    """The /metrics body taken every minute: the dashboard's charts read these."""

    taken_at = models.DateTimeField(db_index=True)
    data = models.JSONField()
    trades_per_hour = models.PositiveIntegerField(null=True, blank=True)
    error_rate = models.FloatField(null=True, blank=True)
    confirmation_p95_ms = models.FloatField(null=True, blank=True)

    def __str__(self):
        return f"snapshot {self.taken_at:%Y-%m-%d %H:%M}"
