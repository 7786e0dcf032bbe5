from django.conf import settings
from django.db import models


class LaunchDecision(models.Model):
    """A GO or NO-GO recorded by an Admin, with a frozen copy of the readiness it saw.

    A GO counts only once every role of GO_SIGNOFF_ROLES has signed it off (each by a
    different person, `signed_at`), and stops counting when it is revoked: its
    evidence regressed before the launch (`regressed_at`, `regression_reason`).
    """

    class Decision(models.TextChoices):
        GO = "GO", "GO"
        NO_GO = "NO-GO", "NO-GO"

    decision = models.CharField(max_length=10, choices=Decision.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(db_index=True)
    note = models.TextField(blank=True)
    snapshot = models.JSONField(help_text="readiness and evidence at decision time, frozen")
    signed_at = models.DateTimeField(null=True, blank=True,
                                     help_text="when the last required sign-off arrived")
    regressed_at = models.DateTimeField("revoked at", null=True, blank=True)
    regression_reason = models.TextField("revocation reason", blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self):
        return f"{self.decision} by {self.decided_by} @ {self.decided_at:%Y-%m-%d %H:%M}"
