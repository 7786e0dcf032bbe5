"""Backup runs, their append-only history, retention policies and restore drills."""

from django.db import models


class BackupKind(models.TextChoices):
    DATABASE = "database", "Database"
    WALLET_KEYS = "wallet_keys", "Wallet keys"
    CONFIG = "config", "Configuration"
    LOGS = "logs", "Logs"


class BackupStatus(models.TextChoices):
    # QUEUED: created by the API or admin, waiting for a worker to claim it.
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class BackupRun(models.Model):
    kind = models.CharField(max_length=20, choices=BackupKind.choices)
    status = models.CharField(max_length=20, choices=BackupStatus.choices,
                              default=BackupStatus.QUEUED)
    trigger = models.CharField(max_length=20, default="manual",
                               help_text="command, api, admin or schedule")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    encrypted = models.BooleanField(default=False)
    storage_name = models.CharField(max_length=500, blank=True,
                                    help_text="name inside the `backups` storage")
    error = models.TextField(blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    # Who runs it, and its last sign of life while running: the minute loop tells a
    # killed process (pid gone, or heartbeat silent) from a slow one (still beating).
    host = models.CharField(max_length=255, blank=True)
    pid = models.IntegerField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Retention removed the archive; the record stays as evidence.
    pruned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # backup_last_success and retention: newest successful run per kind.
            models.Index(fields=["kind", "status", "-finished_at"], name="backup_kind_status_idx"),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class BackupRunEvent(models.Model):
    """Append-only: one row per status change of a run."""

    run = models.ForeignKey(BackupRun, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, choices=BackupStatus.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.from_status or '-'} -> {self.to_status}"


class BackupPolicy(models.Model):
    """Per kind: how often it should run (freshness) and what retention keeps."""

    kind = models.CharField(max_length=20, choices=BackupKind.choices, unique=True)
    schedule_seconds = models.PositiveIntegerField(
        help_text="expected interval; the periodic task is edited under Periodic tasks")
    grace_seconds = models.PositiveIntegerField(
        help_text="a backup is stale once older than schedule + grace")
    keep_last = models.PositiveIntegerField(help_text="always keep the newest N successful runs")
    keep_days = models.PositiveIntegerField(help_text="and every run younger than D days")

    class Meta:
        verbose_name_plural = "backup policies"
        ordering = ["kind"]

    def __str__(self):
        return f"{self.kind} policy"


class DrillVerdict(models.TextChoices):
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"


class RestoreDrill(models.Model):
    run = models.ForeignKey(BackupRun, on_delete=models.SET_NULL, null=True, blank=True,
                            related_name="drills")
    trigger = models.CharField(max_length=20, default="manual")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True,
                                         help_text="recovery time: restore plus verification")
    verdict = models.CharField(max_length=20, choices=DrillVerdict.choices,
                               default=DrillVerdict.RUNNING)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    scratch = models.CharField(max_length=255, blank=True,
                               help_text="the throwaway database it restored into")
    host = models.CharField(max_length=255, blank=True)
    pid = models.IntegerField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"drill #{self.pk} ({self.verdict})"


class RestoreDrillEvent(models.Model):
    """Append-only: one row per verdict change of a drill (started, passed, failed, reaped)."""

    drill = models.ForeignKey(RestoreDrill, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    from_verdict = models.CharField(max_length=20, blank=True)
    to_verdict = models.CharField(max_length=20, choices=DrillVerdict.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.from_verdict or '-'} -> {self.to_verdict}"
