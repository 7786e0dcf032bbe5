"""Performance measurements, their baselines and detected regressions (issue 9)."""

from django.db import models
from django.db.models import Q


class MeasurementRollup(models.Model):
    """One bucket (1 min or 1 h) of one measurement: a `monitoring.sketch.LogHistogram`.

    Written by `monitoring.perf_recorder` flushes (API response times, sampled
    query times) and the scheduler's CPU/memory step. Trade confirmation is
    not copied here: it is read from `EventRollup` so the two cannot disagree.
    """

    measurement = models.CharField(max_length=200)
    start = models.DateTimeField()
    seconds = models.PositiveIntegerField(help_text="Bucket length: 60 or 3600.")
    count = models.PositiveIntegerField(default=0)
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["measurement", "seconds", "start"],
                                               name="mon_mrollup_meas_sec_start")]
        indexes = [models.Index(fields=["seconds", "start"], name="mon_mrollup_sec_start")]

    def __str__(self):
        return f"{self.measurement} {self.start:%Y-%m-%d %H:%M} +{self.seconds}s ({self.count})"


class Baseline(models.Model):
    """p50/p95/p99 of one measurement over a window, tied to a version/deploy.

    At most one active baseline per measurement (partial unique constraint);
    `baseline_establish` deactivates the previous one in the same transaction.
    """

    measurement = models.CharField(max_length=200)
    p50 = models.FloatField()
    p95 = models.FloatField()
    p99 = models.FloatField()
    samples = models.PositiveIntegerField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    version = models.CharField(max_length=100, help_text="settings.VERSION or DEPLOY_ID.")
    active = models.BooleanField(default=True)
    regression_threshold_pct = models.FloatField(
        default=20.0, help_text="Current p95 worse than baseline p95 by more than this % "
                                "is a regression.")
    min_samples = models.PositiveIntegerField(
        default=30, help_text="Fewer samples than this in the current window: no verdict.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["measurement"], condition=Q(active=True),
                                               name="mon_baseline_one_active")]
        indexes = [models.Index(fields=["measurement", "-created_at"],
                                name="mon_baseline_meas_created")]

    def __str__(self):
        return f"{self.measurement} p95 {self.p95:.1f} ({self.version})"


class PerformanceRegression(models.Model):
    """A measurement's p95 above its baseline by more than the threshold.

    One open row per measurement (`resolved_at` null); the regression check
    updates it while the regression lasts and resolves it when it ends.
    """

    measurement = models.CharField(max_length=200)
    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="regressions")
    detected_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    baseline_p95 = models.FloatField()
    current_p95 = models.FloatField()
    ratio = models.FloatField()
    samples = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["measurement"],
                                               condition=Q(resolved_at__isnull=True),
                                               name="mon_perfreg_one_open")]

    def __str__(self):
        return f"{self.measurement} ×{self.ratio:.2f} since {self.detected_at:%Y-%m-%d %H:%M}"
