"""Incidents, their timeline, postmortems and postmortem action items.

Writes go through `incidents.services`; these models hold the
invariants `full_clean()` can check on one row (milestone order, owners on a
published postmortem's action items).
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from common.history import HistoryEntry


class Severity(models.TextChoices):
    SEV1 = "sev1", "SEV1: critical, trading down or funds at risk"
    SEV2 = "sev2", "SEV2: major, a core feature degraded for many users"
    SEV3 = "sev3", "SEV3: minor, partial degradation with a workaround"
    SEV4 = "sev4", "SEV4: low, cosmetic or internal only"


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"


# The forward order of the workflow; a move may skip steps forward.
STATUS_ORDER = [s.value for s in IncidentStatus]

MILESTONES = ["started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at"]


class Incident(models.Model):
    """Something is broken for users; a commander runs it to resolution."""

    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    status = models.CharField(
        max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.INVESTIGATING,
        db_index=True,
    )
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="commanded_incidents",
    )
    summary = models.TextField(blank=True)
    affected_components = models.JSONField(
        default=list, blank=True, help_text='A list of names, e.g. ["rpc", "trading"]',
    )
    source = models.CharField(
        max_length=100, blank=True, help_text="Who or what opened it (a person, an alert rule)",
    )
    # Milestones. started_at: impact began; detected_at: we knew (the incident
    # was opened); acknowledged_at: a human took it; mitigated_at: impact
    # stopped; resolved_at: closed. The transition service sets them; edits
    # go through `incident_milestone_set` so the timeline records them.
    started_at = models.DateTimeField(db_index=True)
    detected_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"#{self.pk} [{self.get_severity_display()[:4]}] {self.title}"

    def clean(self):
        if not isinstance(self.affected_components, list) or not all(
            isinstance(c, str) for c in self.affected_components
        ):
            raise ValidationError({"affected_components": "Must be a list of names (strings)."})
        errors = {}
        for name in MILESTONES[1:]:
            value = getattr(self, name)
            if value and self.started_at and value < self.started_at:
                errors[name] = (
                    f"{_label(name)} cannot be before the start ({_iso(self.started_at)})."
                )
        for name in ("acknowledged_at", "mitigated_at", "resolved_at"):
            value = getattr(self, name)
            if name not in errors and value and self.detected_at and value < self.detected_at:
                errors[name] = (
                    f"{_label(name)} cannot be before detection ({_iso(self.detected_at)})."
                )
        resolved = self.status == IncidentStatus.RESOLVED
        if resolved and not self.resolved_at:
            errors.setdefault("resolved_at", "A resolved incident needs a resolution time.")
        if not resolved and self.resolved_at:
            errors.setdefault(
                "resolved_at", "Only a resolved incident has a resolution time; resolve it first.",
            )
        if errors:
            raise ValidationError(errors)

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        """Detection to acknowledgement."""
        if self.acknowledged_at and self.detected_at:
            return self.acknowledged_at - self.detected_at
        return None

    @property
    def time_to_resolve(self) -> timedelta | None:
        """Detection to resolution (what MTTR averages)."""
        if self.resolved_at and self.detected_at:
            return self.resolved_at - self.detected_at
        return None

    @property
    def impact_duration(self) -> timedelta | None:
        """Start of impact to mitigation (or resolution when never mitigated separately)."""
        end = self.mitigated_at or self.resolved_at
        if end and self.started_at:
            return end - self.started_at
        return None


class TimelineKind(models.TextChoices):
    STATUS_CHANGE = "status_change", "Status change"
    ALERT = "alert", "Alert"
    ACTION = "action", "Action"
    NOTE = "note", "Note"
    MILESTONE_CHANGED = "milestone_changed", "Milestone changed"
    UPDATED = "updated", "Field updated"


class IncidentTimelineEntry(models.Model):
    """Append-only: what happened during an incident, in order."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=20, choices=TimelineKind.choices, default=TimelineKind.NOTE)
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who wrote it when no user did: "token:<name>", "system", "rule:<name>".
    author_label = models.CharField(max_length=100, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "incident timeline entry"
        verbose_name_plural = "incident timeline entries"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind}: {self.text[:60]}"

    @property
    def author_name(self) -> str:
        if self.author_id:
            return self.author.get_username()
        return self.author_label or "system"


class PostmortemStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Postmortem(models.Model):
    """One per incident: what happened, why, and what we change."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="postmortem")
    status = models.CharField(
        max_length=10, choices=PostmortemStatus.choices, default=PostmortemStatus.DRAFT,
    )
    summary = models.TextField(blank=True)
    users_affected = models.PositiveIntegerField(null=True, blank=True)
    trades_affected = models.PositiveIntegerField(null=True, blank=True)
    fees_affected_sol = models.DecimalField(
        max_digits=20, decimal_places=9, null=True, blank=True,
        help_text="Partner fees lost or at risk, in SOL",
    )
    trigger = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    detection = models.TextField(blank=True)
    resolution = models.TextField(blank=True)
    went_well = models.TextField("what went well", blank=True)
    went_badly = models.TextField("what went badly", blank=True)
    lessons = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Postmortem of {self.incident}"

    def clean(self):
        if self.fees_affected_sol is not None and self.fees_affected_sol < 0:
            raise ValidationError({"fees_affected_sol": "Fees affected cannot be negative."})


class ActionItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class ActionItem(models.Model):
    """A follow-up a postmortem commits to; overdue ones show on the incident dashboard."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="action_items",
    )
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="action_items",
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN,
        db_index=True,
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self):
        return self.title

    def clean(self):
        if (
            not self.owner_id
            and self.postmortem_id
            and self.postmortem.status == PostmortemStatus.PUBLISHED
        ):
            raise ValidationError(
                {"owner": "Every action item of a published postmortem needs an owner."}
            )


def _label(name: str) -> str:
    return name.removesuffix("_at").replace("_", " ").capitalize()


def _iso(value) -> str:
    return value.isoformat()


class PostmortemRevision(HistoryEntry):
    """Append-only: one row per edit of a postmortem (its fields before and after)."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE,
                                   related_name="revisions")

    class Meta(HistoryEntry.Meta):
        pass


class ActionItemEvent(HistoryEntry):
    """Append-only: one row per change of an action item (owner, due date, status...)."""

    item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="events")

    class Meta(HistoryEntry.Meta):
        pass
