from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models


class EvidenceFields(models.Model):
    """Evidence for a tick: a link, a note, or a recorded object (a backup run, a
    restore drill, a health sample, a smoke-test run) referenced generically so
    this app never depends on another app's model internals."""

    evidence_url = models.URLField("evidence link", max_length=500, blank=True)
    evidence_note = models.TextField(blank=True)
    evidence_content_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name="evidence object type")
    evidence_object_id = models.CharField(max_length=64, blank=True)
    evidence_label = models.CharField(max_length=200, blank=True)
    evidence_object = GenericForeignKey("evidence_content_type", "evidence_object_id")

    class Meta:
        abstract = True

    def clean_evidence_object(self) -> None:
        """A referenced object must exist; its label defaults to its name."""
        if bool(self.evidence_content_type_id) != bool(self.evidence_object_id):
            raise ValidationError({"evidence_object_id": "give both the object type and its id"})
        if not self.evidence_content_type_id:
            return
        model = self.evidence_content_type.model_class()
        try:
            obj = model._default_manager.filter(pk=self.evidence_object_id).first()
        except (ValueError, TypeError, ValidationError, AttributeError):
            obj = None  # not a valid id for that model (or the model is gone)
        if obj is None:
            kind = self.evidence_content_type.name
            raise ValidationError(
                {"evidence_object_id": f"no {kind} with id {self.evidence_object_id}"})
        if not self.evidence_label:
            self.evidence_label = str(obj)[:200]

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence_url or self.evidence_note.strip()
                    or (self.evidence_content_type_id and self.evidence_object_id))

    def evidence_set_object(self, obj) -> None:
        self.evidence_content_type = ContentType.objects.get_for_model(obj)
        self.evidence_object_id = str(obj.pk)
        self.evidence_label = str(obj)[:200]

    def evidence_summary(self) -> str:
        parts = []
        if self.evidence_content_type_id and self.evidence_object_id:
            parts.append(self.evidence_label or
                         f"{self.evidence_content_type} #{self.evidence_object_id}")
        if self.evidence_url:
            parts.append(self.evidence_url)
        if self.evidence_note:
            parts.append(self.evidence_note)
        return " · ".join(parts)
