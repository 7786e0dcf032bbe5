from django.conf import settings
from django.db import models

from checklist.models.evidence import EvidenceFields
from common.history import HistoryEntry


class Launch(models.Model):
    """The launch; its date is TBD until an operator sets it (the plan's last line)."""

    name = models.CharField(max_length=100, unique=True)
    launch_at = models.DateTimeField(null=True, blank=True, help_text="T-0; TBD while empty")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        when = f"{self.launch_at:%Y-%m-%d %H:%M} UTC" if self.launch_at else "date TBD"
        return f"{self.name} ({when})"


class StepStatus(models.TextChoices):
    PENDING = "pending", "pending"
    DONE = "done", "done"
    SKIPPED = "skipped", "skipped"
    FAILED = "failed", "failed"


class LaunchStep(EvidenceFields):
    """A Launch Day Procedure step, due at launch time + offset."""

    launch = models.ForeignKey(Launch, on_delete=models.CASCADE, related_name="steps")
    label = models.CharField(max_length=10)
    text = models.CharField(max_length=200)
    offset_minutes = models.IntegerField()
    due_at = models.DateTimeField(null=True, blank=True)
    automated = models.BooleanField(default=False, help_text="the portal runs it when due")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    status = models.CharField(max_length=20, choices=StepStatus.choices,
                              default=StepStatus.PENDING)
    notes = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["launch", "offset_minutes"]
        constraints = [models.UniqueConstraint(fields=["launch", "label"],
                                               name="launch_step_unique_label")]

    def __str__(self):
        return f"{self.label}: {self.text}"

    def clean(self):
        self.clean_evidence_object()


class PostLaunchReview(models.Model):
    """A daily or weekly review of the first 30 days, pre-filled with the numbers it asks for."""

    class Cadence(models.TextChoices):
        DAILY = "daily", "daily"
        WEEKLY = "weekly", "weekly"

    class Status(models.TextChoices):
        OPEN = "open", "open"
        DONE = "done", "done"

    launch = models.ForeignKey(Launch, on_delete=models.CASCADE, related_name="reviews")
    cadence = models.CharField(max_length=10, choices=Cadence.choices)
    day = models.PositiveIntegerField(help_text="days after launch")
    due_at = models.DateTimeField(db_index=True)
    checks = models.JSONField(default=list, help_text='[{"text", "metrics", "done", "note"}]')
    figures = models.JSONField(default=dict, blank=True, help_text="numbers pre-filled")
    figures_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    notes = models.TextField(blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "cadence"]
        constraints = [models.UniqueConstraint(fields=["launch", "cadence", "day"],
                                               name="review_unique_per_day")]

    def __str__(self):
        return f"{self.get_cadence_display()} review, day {self.day}"


class LaunchStepEvent(HistoryEntry):
    """Append-only: one row per change of a launch-day step (scheduled, claimed by the
    portal, edited, done, skipped, failed)."""

    step = models.ForeignKey(LaunchStep, on_delete=models.CASCADE, related_name="events")

    class Meta(HistoryEntry.Meta):
        pass
