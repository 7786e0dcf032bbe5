"""Deployments and the checks that gate them (preflight, smoke tests)."""

from django.db import models
from django.utils import timezone


class CheckStatus(models.TextChoices):
    PASS = "pass", "pass"
    FAIL = "fail", "fail"
    SKIP = "skip", "skip"


class CheckRunKind(models.TextChoices):
    PREFLIGHT = "preflight", "preflight"
    SMOKE = "smoke", "smoke test"
    DOCS = "docs", "docs check"


class DeploymentStatus(models.TextChoices):
    RUNNING = "running", "running"
    SUCCEEDED = "succeeded", "succeeded"
    FAILED = "failed", "failed"


class Deployment(models.Model):
    """One rollout (or rehearsal) of a release to an environment, with its results."""

    environment = models.CharField(max_length=50, default="staging")
    version = models.CharField(max_length=100, help_text="The git ref or release deployed.")
    previous_version = models.CharField(max_length=100, blank=True,
                                        help_text="The release a rollback returns to.")
    status = models.CharField(max_length=10, choices=DeploymentStatus.choices,
                              default=DeploymentStatus.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # The load test's headline numbers, as columns so the changelist can sort on them.
    load_requests = models.PositiveIntegerField(null=True, blank=True)
    load_failures = models.PositiveIntegerField(null=True, blank=True)
    load_rps = models.FloatField(null=True, blank=True, verbose_name="load requests/s")
    load_p95_ms = models.FloatField(null=True, blank=True, verbose_name="load p95 (ms)")
    rollback_ok = models.BooleanField(null=True, blank=True)
    # Each step of the rehearsal in order: {"at", "step", "ok", "detail"}; appended only.
    steps = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    # Fed in by hand (`record_deployment --json`), not seen by the portal while it ran:
    # shown, never evidence for the launch checklist (docs/deployment.md).
    imported = models.BooleanField(default=False)
    imported_by = models.CharField(max_length=150, blank=True,
                                   help_text="Who ran record_deployment (--by, or the OS user).")
    # When the portal stored it: for an import, the time of the import (the verdict's
    # history lists it), which says nothing about when the rehearsal ran.
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return (f"{self.environment} {self.version} ({self.status})"
                f"{' [imported]' if self.imported else ''}")


class DeploymentCheckRun(models.Model):
    """One run of `preflight` or `smoke_test`: every check's verdict, in order."""

    kind = models.CharField(max_length=10, choices=CheckRunKind.choices)
    deployment = models.ForeignKey(Deployment, null=True, blank=True, related_name="check_runs",
                                   on_delete=models.SET_NULL)
    target = models.CharField(max_length=300, blank=True,
                              help_text="The base URL (smoke test) or host (preflight).")
    ok = models.BooleanField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    # [{"name", "status", "detail", "duration_ms"}]: small and always read whole.
    results = models.JSONField(default=list)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["kind", "-started_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {'passed' if self.ok else 'FAILED'} " \
               f"@ {self.started_at:%Y-%m-%d %H:%M:%S}"

    @property
    def failed_checks(self) -> list[str]:
        return [r["name"] for r in self.results if r.get("status") == CheckStatus.FAIL]


class _KindManager(models.Manager):
    def __init__(self, kind):
        super().__init__()
        self.kind = kind

    def get_queryset(self):
        return super().get_queryset().filter(kind=self.kind)


class PreflightRun(DeploymentCheckRun):
    """The preflight runs alone, for their own admin page."""

    objects = _KindManager(CheckRunKind.PREFLIGHT)

    class Meta:
        proxy = True
        verbose_name = "preflight run"


class DocsCheckRun(DeploymentCheckRun):
    """The `check_docs` runs alone, for their own admin page."""

    objects = _KindManager(CheckRunKind.DOCS)

    class Meta:
        proxy = True
        verbose_name = "docs check run"


class SmokeTestRun(DeploymentCheckRun):
    """The smoke-test runs alone, for their own admin page."""

    objects = _KindManager(CheckRunKind.SMOKE)

    class Meta:
        proxy = True
        verbose_name = "smoke-test run"
