from django.db import models
from django.utils import timezone


class ScanStatus(models.TextChoices):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ScanTrigger(models.TextChoices):
    COMMAND = "command"
    ADMIN = "admin"
    SCHEDULE = "schedule"


class RepoScan(models.Model):
    """One scan of the bot's repository: its size, sleep() calls, lint and security
    findings (ruff, pinned rules), data stores it names, and what was skipped."""

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=ScanStatus.choices,
                              default=ScanStatus.RUNNING)
    trigger = models.CharField(max_length=20, choices=ScanTrigger.choices)
    error = models.TextField(blank=True)
    repo_dir = models.CharField(max_length=500)
    commit = models.CharField(max_length=64, blank=True, help_text="git HEAD; empty if not git")
    lint_select = models.CharField(max_length=200, blank=True)
    security_select = models.CharField(max_length=200, blank=True)
    python_files = models.PositiveIntegerField(default=0)
    python_lines = models.PositiveBigIntegerField(default=0)
    files_over_1000 = models.JSONField(default=list, blank=True)  # [{path, lines}]
    sleep_calls = models.PositiveIntegerField(default=0)
    sleep_by_file = models.JSONField(default=dict, blank=True)  # {path: n}
    unparsable = models.JSONField(default=list, blank=True)  # [{path, error}]
    lint_errors = models.PositiveIntegerField(default=0)
    lint_by_rule = models.JSONField(default=dict, blank=True)  # {code: n}
    security_findings = models.PositiveIntegerField(default=0)
    security_by_severity = models.JSONField(default=dict, blank=True)  # {high|medium|low: n}
    data_stores = models.JSONField(default=list, blank=True)  # [{kind, ref, where: [...]}]
    data_store_count = models.PositiveIntegerField(default=0)
    skipped = models.JSONField(default=list, blank=True)  # [{path, reason}]
    duration_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        commit = self.commit[:10] or "no commit"
        return f"repo scan #{self.pk} {self.status} ({commit})"
