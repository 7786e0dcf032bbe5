"""GO/NO-GO decisions: recorded by an Admin, signed off by people in named roles, revoked
by the evidence.

A GO freezes the readiness it was based on. It counts only when one person per role
of GO_SIGNOFF_ROLES has signed it off in the portal (the Admin who records it signs
for the first of their roles), each a different person. If its evidence regresses
before the launch it revokes itself, visibly, and the channels are told.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from alerting.services.notify import announce
from checklist.models import (
    ChecklistItem,
    DecisionSignoff,
    ItemStatus,
    Launch,
    LaunchDecision,
    VerdictEvent,
    Waiver,
)
from checklist.records import waiver_json
from checklist.selectors import (
    checklist_items_with_last_verification,
    readiness_compute,
    user_holds_role,
    user_is_portal_admin,
)
from checklist.services.items import checklist_item_set_status

GO_ITEM_VERIFIER = "go_recorded"
Kind = VerdictEvent.Kind


def readiness_snapshot(*, now) -> dict:
    """The readiness and every item's evidence and waiver, as JSON, frozen into a decision."""
    items = list(checklist_items_with_last_verification())
    readiness = readiness_compute(items=items, now=now)
    waivers = {w.item_id: w for w in Waiver.objects.filter(
        state=Waiver.State.APPROVED, expires_at__gt=now).select_related(
        "item", "requested_by", "decided_by")}
    return {
        "taken_at": now.isoformat(),
        "decision": readiness["decision"],
        "percent_complete": readiness["percent_complete"],
        "blockers": readiness["blockers"],
        "waivers": [waiver_json(w) for item in items if (w := waivers.get(item.pk)) is not None],
        "items": [{
            "key": i.key, "category": i.category, "text": i.text, "status": i.status,
            "required": i.required, "owner": i.owner.get_username() if i.owner else None,
            "evidence": i.evidence_summary(), "evidence_url": i.evidence_url,
            "evidence_object": ({"type": f"{i.evidence_content_type.app_label}."
                                         f"{i.evidence_content_type.model}",
                                 "id": i.evidence_object_id, "label": i.evidence_label}
                                if i.evidence_content_type_id else None),
            "waiver": waiver_json(waivers[i.pk]) if i.pk in waivers else None,
            "verifier": i.verifier_key,
            "last_verified_at": i.last_checked_at.isoformat() if i.last_checked_at else None,
            "last_verification_passed": i.last_passed,
            "last_verification_detail": i.last_detail,
        } for i in items],
    }


def _roles_of(user) -> list[str]:
    return [role for role in settings.GO_SIGNOFF_ROLES if user_holds_role(user, role)]


def launch_decision_record(*, decision: str, user, note: str = "", now=None) -> LaunchDecision:
    """Record a decision. Only an Admin; a GO is refused while any required item is open,
    and counts only once signed off (the recorder signs for the first role they hold)."""
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
        VerdictEvent.objects.create(
            at=now, kind=Kind.DECISION, actor=user, decision=record,
            note=f"{decision} at {snapshot['percent_complete']}% with "
                 f"{len(snapshot['waivers'])} waiver(s)" + (f": {note}" if note else ""))
        if decision == LaunchDecision.Decision.GO:
            roles = _roles_of(user)
            if roles:
                _signoff_add(record, user=user, role=roles[0], note="recorded the GO", now=now)
    return record


def _signoff_add(record: LaunchDecision, *, user, role: str, note: str, now) -> DecisionSignoff:
    try:
        with transaction.atomic():
            signoff = DecisionSignoff.objects.create(decision=record, role=role, user=user,
                                                     signed_at=now, note=note)
    except IntegrityError:
        raise ValidationError(f"{role} has already signed this GO, or {user} has signed it in "
                              f"another role: each role is a different person.") from None
    VerdictEvent.objects.create(at=now, kind=Kind.SIGNOFF, actor=user, decision=record,
                                note=f"as {role}" + (f": {note}" if note else ""))
    signed = set(record.signoffs.values_list("role", flat=True))
    people = record.signoffs.values("user").distinct().count()
    # Two people at the least, whatever the roles setting says: one person is no check.
    if set(settings.GO_SIGNOFF_ROLES) <= signed and people >= 2:
        LaunchDecision.objects.filter(pk=record.pk, signed_at__isnull=True).update(signed_at=now)
        record.signed_at = now
        VerdictEvent.objects.create(at=now, kind=Kind.SIGNED, actor=user, decision=record,
                                    note="every role signed: " + ", ".join(
                                        settings.GO_SIGNOFF_ROLES))
        go_item = ChecklistItem.objects.filter(verifier_key=GO_ITEM_VERIFIER).first()
        if go_item is not None:
            checklist_item_set_status(item=go_item, status=ItemStatus.DONE, actor=user,
                                      evidence_object=record, note="GO signed off", now=now)
    return signoff


def launch_decision_sign_off(*, record: LaunchDecision, user, role: str | None = None,
                             note: str = "", now=None) -> DecisionSignoff:
    """`user` signs the GO off in `role` (default: the first unsigned role they hold).

    Refused for a NO-GO, a revoked GO, a role the user does not hold, a role already
    signed, a person who already signed, and a GO whose readiness is no longer GO.
    """
    now = now or timezone.now()
    with transaction.atomic():
        record = LaunchDecision.objects.select_for_update().get(pk=record.pk)
        if record.decision != LaunchDecision.Decision.GO:
            raise ValidationError("Only a GO is signed off.")
        if record.regressed_at:
            raise ValidationError(f"This GO was revoked: {record.regression_reason}")
        latest = LaunchDecision.objects.order_by("-decided_at", "-id").first()
        if latest is not None and latest.pk != record.pk:
            raise ValidationError("A newer decision replaces this one: sign that instead.")
        held = _roles_of(user)
        signed = set(record.signoffs.values_list("role", flat=True))
        if role is None:
            role = next((r for r in held if r not in signed), None)
            if role is None:
                unsigned = [r for r in settings.GO_SIGNOFF_ROLES if r not in signed]
                raise PermissionDenied(f"You hold none of the unsigned roles "
                                       f"({', '.join(unsigned) or 'none left'}).")
        if role not in settings.GO_SIGNOFF_ROLES:
            raise ValidationError(
                {"role": f"choose one of {', '.join(settings.GO_SIGNOFF_ROLES)}"})
        if role not in held:
            raise PermissionDenied(f"You do not hold the {role} role.")
        blockers = readiness_compute(now=now)["blockers"]
        if blockers:
            raise ValidationError(f"The readiness is NO-GO now ({len(blockers)} blocker(s)): "
                                  f"this GO can no longer be signed.")
        return _signoff_add(record, user=user, role=role, note=note, now=now)


def launch_decision_check_regression(*, now=None) -> LaunchDecision | None:
    """Revoke the latest GO if its evidence regressed before launch; returns it when newly
    revoked (and tells the channels)."""
    now = now or timezone.now()
    latest = LaunchDecision.objects.first()
    if latest is None or latest.decision != LaunchDecision.Decision.GO or latest.regressed_at:
        return None
    launch_at = Launch.objects.exclude(launch_at__isnull=True).order_by("launch_at") \
        .values_list("launch_at", flat=True).first()
    if launch_at and launch_at <= now:
        return None  # launched: post-launch problems are incidents, not a revoked GO
    blockers = readiness_compute(now=now)["blockers"]
    if not blockers:
        return None
    reason = "; ".join(f"{b['category']}: {b['item']} ({b['reason']})" for b in blockers)
    updated = LaunchDecision.objects.filter(pk=latest.pk, regressed_at__isnull=True).update(
        regressed_at=now, regression_reason=reason)
    if not updated:
        return None
    latest.refresh_from_db()
    VerdictEvent.objects.create(at=now, kind=Kind.REVOKED, decision=latest, note=reason)
    announce(title=f"Launch GO revoked: {len(blockers)} item(s) regressed",
             body=(f"The GO recorded by {latest.decided_by} at "
                   f"{latest.decided_at:%Y-%m-%d %H:%M} UTC no longer holds. {reason}\n"
                   f"{settings.PORTAL_URL}/readiness/"), now=now)
    return latest
