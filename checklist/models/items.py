from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from checklist.models.evidence import EvidenceFields


class ItemStatus(models.TextChoices):
    TODO = "todo", "to do"
    IN_PROGRESS = "in_progress", "in progress"
    DONE = "done", "done"
    BLOCKED = "blocked", "blocked"
    WAIVED = "waived", "waived"


CLOSED_STATUSES = (ItemStatus.DONE, ItemStatus.WAIVED)


class ChecklistItem(EvidenceFields):
    """One line of the plan's checklists. Ticked by evidence, or waived by an approved Waiver."""

    key = models.SlugField(max_length=64, unique=True, help_text="stable key from the plan")
    category = models.CharField(max_length=50, db_index=True)
    position = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="checklist_items")
    status = models.CharField(max_length=20, choices=ItemStatus.choices, default=ItemStatus.TODO,
                              db_index=True)
    required = models.BooleanField("required for launch", default=True)
    verifier_key = models.CharField(max_length=50, null=True, blank=True,
                                    help_text="automated verifier that ticks or un-ticks it")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position"]

    def __str__(self):
        return f"{self.category}: {self.text}"

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    def clean(self):
        self.clean_evidence_object()
        if self.status == ItemStatus.DONE and not self.has_evidence:
            raise ValidationError(
                {"status": "An item is done only with evidence: a link, a note or a recorded "
                           "object."})
        if self.status == ItemStatus.WAIVED and not self.waivers.filter(
                state="approved").exists():
            raise ValidationError(
                {"status": "An item is waived only by an approved waiver: request one under "
                           "Waivers; a different Admin approves it."})


class ReadinessOverview(ChecklistItem):
    """Proxy so the readiness page is listed (and linked) in the admin index."""

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = "readiness overview"


class ChecklistItemEvent(models.Model):
    """Append-only history of an item's status, evidence and waivers."""

    class Kind(models.TextChoices):
        STATUS = "status", "status change"
        VERIFIED = "verified", "verified by evidence"
        STALE = "stale", "evidence went stale"
        WAIVED = "waived", "waived"

    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=20, choices=ItemStatus.choices)
    to_status = models.CharField(max_length=20, choices=ItemStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.item.key}: {self.from_status} → {self.to_status}"


class VerificationResult(EvidenceFields):
    """One run of one automated verifier against one item, kept with its time."""

    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE,
                             related_name="verifications")
    verifier_key = models.CharField(max_length=50)
    checked_at = models.DateTimeField(db_index=True)
    passed = models.BooleanField()
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["item", "-checked_at"])]

    def __str__(self):
        return f"{self.verifier_key} {'passed' if self.passed else 'failed'} @ {self.checked_at}"
