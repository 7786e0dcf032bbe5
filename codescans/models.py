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
    # Named only in the bot's test code (fixtures): listed, never counted.
    test_data_stores = models.JSONField(default=list, blank=True)  # [{kind, ref, where}]
    skipped = models.JSONField(default=list, blank=True)  # [{path, reason}]
    duration_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        commit = self.commit[:10] or "no commit"
        return f"repo scan #{self.pk} {self.status} ({commit})"


# --- Evidence from the bot's CI (issue 17.2): posted by its pipeline, one row each ----

class CoverageFormat(models.TextChoices):
    COBERTURA = "cobertura", "Cobertura XML"
    COVERAGE_JSON = "coverage.py-json", "coverage.py JSON"


class _Evidence(models.Model):
    """What every CI upload records: the commit it is for, when and who sent it, and
    the body's fingerprint (the report itself is not kept; its numbers are)."""

    commit = models.CharField(max_length=64, db_index=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    posted_by = models.CharField(max_length=150, blank=True,
                                 help_text="token:<name> or user:<username>")
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)

    class Meta:
        abstract = True
        ordering = ["-received_at", "-pk"]


class CoverageReport(_Evidence):
    format = models.CharField(max_length=20, choices=CoverageFormat.choices)
    line_rate = models.FloatField(help_text="0..1")
    lines_covered = models.PositiveIntegerField()
    lines_valid = models.PositiveIntegerField()
    branch_rate = models.FloatField(null=True, blank=True, help_text="0..1; empty if "
                                    "branches were not measured")
    files = models.PositiveIntegerField(default=0)
    lowest_files = models.JSONField(default=list, blank=True)  # [{path, line_rate, missing}]

    class Meta(_Evidence.Meta):
        constraints = [models.UniqueConstraint(fields=["commit", "sha256"],
                                               name="coverage_report_once")]

    def __str__(self):
        return f"coverage {self.line_rate:.1%} at {self.commit[:10]}"


class TestReport(_Evidence):
    __test__ = False  # a model, not a test class for pytest to collect

    tests = models.PositiveIntegerField()
    failures = models.PositiveIntegerField()
    errors = models.PositiveIntegerField()
    skipped = models.PositiveIntegerField()
    duration_seconds = models.FloatField(default=0)
    suites = models.PositiveIntegerField(default=0)
    failed_ids = models.JSONField(default=list, blank=True)  # the first MAX_FAILED_IDS
    failed_total = models.PositiveIntegerField(default=0)

    class Meta(_Evidence.Meta):
        constraints = [models.UniqueConstraint(fields=["commit", "sha256"],
                                               name="test_report_once")]

    def __str__(self):
        return f"tests {self.tests} ({self.failures} failed, {self.errors} errors) " \
               f"at {self.commit[:10]}"


class CodeReview(_Evidence):
    change = models.CharField(max_length=500, help_text="the pull request: URL or number")
    approved_by = models.JSONField(default=list)  # names, at least one
    author = models.CharField(max_length=150, blank=True)

    class Meta(_Evidence.Meta):
        constraints = [models.UniqueConstraint(fields=["commit", "sha256"],
                                               name="code_review_once")]

    def __str__(self):
        return f"review of {self.change[:60]} at {self.commit[:10]}"
