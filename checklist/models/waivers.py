"""Waivers of checklist items, and the history of the verdict (decisions, sign-offs)."""

from django.conf import settings
from django.db import models

from checklist.models.decisions import LaunchDecision
from checklist.models.items import ChecklistItem


class Waiver(models.Model):
    """A request to treat an open item as closed until `expires_at`.

    It closes the item only once approved, in the portal, by a different person who
    holds the Admin role: an approver is a signed-in user who acted, never a name
    typed in a field. Past its expiry the item is a blocker again.
    """

    class State(models.TextChoices):
        PENDING = "pending", "pending approval"
        APPROVED = "approved", "approved"
        REJECTED = "rejected", "rejected"
        EXPIRED = "expired", "expired"
        WITHDRAWN = "withdrawn", "withdrawn"

    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="waivers")
    reason = models.TextField()
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING,
                             db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   help_text="the Admin who approved or rejected it")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One live waiver per item: a second request waits for the first to end.
            models.UniqueConstraint(fields=["item"], condition=models.Q(state__in=[
                "pending", "approved"]), name="checklist_waiver_one_live_per_item"),
        ]

    def __str__(self):
        return f"waiver of {self.item.key} ({self.state})"


class DecisionSignoff(models.Model):
    """One person's sign-off of a GO in one of the roles GO_SIGNOFF_ROLES names."""

    decision = models.ForeignKey(LaunchDecision, on_delete=models.CASCADE,
                                 related_name="signoffs")
    role = models.CharField(max_length=50)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+")
    signed_at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "role"],
                                    name="checklist_signoff_one_per_role"),
            models.UniqueConstraint(fields=["decision", "user"],
                                    name="checklist_signoff_one_role_per_person"),
        ]

    def __str__(self):
        return f"{self.role}: {self.user} @ {self.signed_at:%Y-%m-%d %H:%M}"


class VerdictEvent(models.Model):
    """Append-only history of what made or unmade the verdict, with who and when.

    Item status changes live in ChecklistItemEvent; this holds the rest: waivers
    requested, approved, rejected and expired, decisions, sign-offs, revocations.
    """

    class Kind(models.TextChoices):
        WAIVER_REQUESTED = "waiver_requested", "waiver requested"
        WAIVER_APPROVED = "waiver_approved", "waiver approved"
        WAIVER_REJECTED = "waiver_rejected", "waiver rejected"
        WAIVER_WITHDRAWN = "waiver_withdrawn", "waiver withdrawn"
        WAIVER_EXPIRED = "waiver_expired", "waiver expired"
        DECISION = "decision", "decision recorded"
        SIGNOFF = "signoff", "sign-off"
        SIGNED = "signed", "GO fully signed off"
        REVOKED = "revoked", "decision revoked"

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")
    waiver = models.ForeignKey(Waiver, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="events")
    decision = models.ForeignKey(LaunchDecision, on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="events")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} @ {self.at:%Y-%m-%d %H:%M}"
