from django.conf import settings
from django.db import models


class LaunchDecision(models.Model):
    """A GO or NO-GO signed by an Admin, with a frozen copy of the readiness it saw."""

    class Decision(models.TextChoices):
        GO = "GO", "GO"
        NO_GO = "NO-GO", "NO-GO"

    decision = models.CharField(max_length=10, choices=Decision.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(db_index=True)
    note = models.TextField(blank=True)
    snapshot = models.JSONField(help_text="readiness and evidence at decision time, frozen")
    regressed_at = models.DateTimeField(null=True, blank=True)
    regression_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self):
        return f"{self.decision} by {self.decided_by} @ {self.decided_at:%Y-%m-%d %H:%M}"
