"""Backup runs, their append-only history, retention policies, restore drills, and the
registry of the bot's data stores."""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models

from common.encryption import EncryptedCharField
from common.secret_urls import refuse_masked


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


class DataStoreKind(models.TextChoices):
    POSTGRESQL = "postgresql", "PostgreSQL database"
    SQLITE = "sqlite", "SQLite file"
    FILES = "files", "Folder of files"


class DataStore(models.Model):
    """One of the bot's data stores, backed up and restore-drilled on its own schedule.

    Rows are written by backups.services.datastores (validation per kind, and the beat
    schedules follow every save), never by ModelForm.save alone.
    """

    name = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=DataStoreKind.choices)
    # A postgres:// URL with its password: encrypted at rest, shown masked everywhere.
    url = EncryptedCharField(max_length=500, blank=True, validators=[refuse_masked])
    path = models.CharField(max_length=500, blank=True,
                            help_text="absolute path: the SQLite file, or the folder")
    schedule_seconds = models.PositiveIntegerField(
        help_text="backup interval; default: 6 h for databases, 24 h for folders")
    keep_last = models.PositiveIntegerField(default=8,
                                            help_text="always keep the newest N archives")
    keep_days = models.PositiveIntegerField(default=7, help_text="and every one younger "
                                                                 "than D days")
    owner = models.CharField(max_length=120, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.kind})"

    def clean(self):
        """Each kind takes its own field, and refuses the other one."""
        super().clean()
        errors = {}
        if self.kind == DataStoreKind.POSTGRESQL:
            if self.path:
                errors["path"] = "a postgresql store takes a url, not a path"
            parts = urlsplit(self.url or "")
            if not self.url:
                errors["url"] = "a postgresql store needs a url: postgres://user:password@host/db"
            elif parts.scheme not in ("postgres", "postgresql"):
                errors["url"] = "the url must start with postgres:// (or postgresql://)"
            elif not parts.hostname or not parts.path.strip("/"):
                errors["url"] = "the url must name a host and a database: postgres://host/db"
        elif self.kind in (DataStoreKind.SQLITE, DataStoreKind.FILES):
            what = "file" if self.kind == DataStoreKind.SQLITE else "folder"
            if self.url:
                errors["url"] = f"a {self.kind} store takes a path, not a url"
            if not self.path:
                errors["path"] = f"a {self.kind} store needs the absolute path of its {what}"
            elif not os.path.isabs(self.path):
                errors["path"] = f"the path must be absolute (start with /): {self.path}"
        if errors:
            raise ValidationError(errors)


class BackupRun(models.Model):
    kind = models.CharField(max_length=20, choices=BackupKind.choices)
    # Set for a backup of one of the bot's data stores; null for the portal's own.
    datastore = models.ForeignKey(DataStore, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="runs")
    # Kept when the store is deleted: "" is the portal's own run, whatever happens to FKs.
    datastore_name = models.CharField(max_length=60, blank=True, db_index=True)
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
    datastore = models.ForeignKey(DataStore, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="drills")
    datastore_name = models.CharField(max_length=60, blank=True, db_index=True)
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
