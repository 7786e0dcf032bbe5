"""GO/NO-GO decisions: signed by an Admin, refused while a required item is open."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from checklist.models import ChecklistItem, ItemStatus, Launch, LaunchDecision
from checklist.selectors import (
    checklist_items_with_last_verification,
    readiness_compute,
    user_is_portal_admin,
)
from checklist.services.items import checklist_item_set_status

GO_ITEM_VERIFIER = "go_recorded"


def readiness_snapshot(*, now) -> dict:
    """The readiness and every item's evidence, as JSON, frozen into a decision."""
    items = list(checklist_items_with_last_verification())
    readiness = readiness_compute(items=items)
    return {
        "taken_at": now.isoformat(),
        "decision": readiness["decision"],
        "percent_complete": readiness["percent_complete"],
        "blockers": readiness["blockers"],
        "items": [{
            "key": i.key, "category": i.category, "text": i.text, "status": i.status,
            "required": i.required, "owner": i.owner.get_username() if i.owner else None,
            "evidence": i.evidence_summary(), "evidence_url": i.evidence_url,
            "evidence_object": ({"type": f"{i.evidence_content_type.app_label}."
                                         f"{i.evidence_content_type.model}",
                                 "id": i.evidence_object_id, "label": i.evidence_label}
                                if i.evidence_content_type_id else None),
            "waiver": ({"reason": i.waiver_reason, "approver": str(i.waived_by)}
                       if i.status == ItemStatus.WAIVED else None),
            "verifier": i.verifier_key,
            "last_verified_at": i.last_checked_at.isoformat() if i.last_checked_at else None,
            "last_verification_passed": i.last_passed,
        } for i in items],
    }


def launch_decision_record(*, decision: str, user, note: str = "", now=None) -> LaunchDecision:
    """Record a decision. Only an Admin; a GO is refused while any required item is open."""
    if not user_is_portal_admin(user):
        raise PermissionDenied("Only an Admin records a launch decision.")
    if decision not in LaunchDecision.Decision.values:
        raise ValidationError({"decision": f"choose {' or '.join(LaunchDecision.Decision)}"})
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the checklist so no item re-opens between the check and the record.
        list(ChecklistItem.objects.select_for_update().values_list("pk", flat=True))
        snapshot = readiness_snapshot(now=now)
        if decision == LaunchDecision.Decision.GO and snapshot["blockers"]:
            names = "; ".join(f"{b['category']}: {b['item']}" for b in snapshot["blockers"][:5])
            more = len(snapshot["blockers"]) - 5
            raise ValidationError(
                f"GO refused: {len(snapshot['blockers'])} required item(s) open ({names}"
                f"{f'; and {more} more' if more > 0 else ''}).")
        record = LaunchDecision(decision=decision, decided_by=user, decided_at=now, note=note,
                                snapshot=snapshot)
        record.full_clean()
        record.save()
        go_item = ChecklistItem.objects.filter(verifier_key=GO_ITEM_VERIFIER).first()
        if go_item and decision == LaunchDecision.Decision.GO:
            checklist_item_set_status(item=go_item, status=ItemStatus.DONE, actor=user,
                                      evidence_object=record, note="GO recorded", now=now)
    return record


def launch_decision_check_regression(*, now=None) -> LaunchDecision | None:
    """Flag the latest GO if evidence regressed before launch; returns it when newly flagged."""
    now = now or timezone.now()
    latest = LaunchDecision.objects.first()
    if latest is None or latest.decision != LaunchDecision.Decision.GO or latest.regressed_at:
        return None
    launch_at = Launch.objects.exclude(launch_at__isnull=True).order_by("launch_at") \
        .values_list("launch_at", flat=True).first()
    if launch_at and launch_at <= now:
        return None  # launched: post-launch problems are incidents, not a regressed GO
    blockers = readiness_compute()["blockers"]
    if not blockers:
        return None
    reason = "; ".join(f"{b['category']}: {b['item']} ({b['reason']})" for b in blockers)
    updated = LaunchDecision.objects.filter(pk=latest.pk, regressed_at__isnull=True).update(
        regressed_at=now, regression_reason=reason)
    if not updated:
        return None
    latest.refresh_from_db()
    return latest
