"""Checklist item changes: every status change is validated and recorded."""

from django.db import transaction
from django.utils import timezone

from checklist.models import ChecklistItem, ChecklistItemEvent, ItemStatus

Kind = ChecklistItemEvent.Kind


def checklist_item_save(*, item: ChecklistItem, actor=None, note: str = "",
                        kind: str | None = None, now=None) -> ChecklistItem:
    """Validate and save an edited item; a status change writes a history event."""
    now = now or timezone.now()
    with transaction.atomic():
        old_status = (ChecklistItem.objects.select_for_update().filter(pk=item.pk)
                      .values_list("status", flat=True).first()) if item.pk else None
        item.full_clean()
        changed = old_status != item.status
        if changed:
            item.status_changed_at = now
        item.save()
        if changed:
            kind = kind or (Kind.WAIVED if item.status == ItemStatus.WAIVED else Kind.STATUS)
            ChecklistItemEvent.objects.create(
                item=item, at=now, kind=kind, from_status=old_status or ItemStatus.TODO,
                to_status=item.status, actor=actor, note=note)
    return item


def checklist_item_set_status(*, item: ChecklistItem, status: str, actor=None, note: str = "",
                              evidence_url: str = "", evidence_note: str = "",
                              evidence_object=None, kind: str | None = None,
                              now=None) -> ChecklistItem:
    """Move an item to `status`, adding any evidence given; `done` needs evidence."""
    if status == ItemStatus.WAIVED:
        raise ValueError("use checklist.services.waivers: a waiver is requested, then "
                         "approved by a different Admin")
    item.status = status
    if evidence_url:
        item.evidence_url = evidence_url
    if evidence_note:
        item.evidence_note = evidence_note
    if evidence_object is not None:
        item.evidence_set_object(evidence_object)
    return checklist_item_save(item=item, actor=actor, note=note, kind=kind, now=now)
