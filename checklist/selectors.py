"""Reads for launch readiness."""

from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from checklist.models import (
    ChecklistItem,
    DecisionSignoff,
    ItemStatus,
    LaunchDecision,
    VerificationResult,
    Waiver,
)
from checklist.verifiers import REGISTRY

ADMIN_GROUP = "Admin"


def user_is_portal_admin(user) -> bool:
    """Admins (the Admin role or a superuser) alone sign launch decisions."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name=ADMIN_GROUP).exists()


def user_holds_role(user, role: str) -> bool:
    """Whether `user` (active, signed in) holds the staff role `role` (a group name);
    superusers hold Admin."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if role == ADMIN_GROUP and user.is_superuser:
        return True
    return user.groups.filter(name=role).exists()


def checklist_items_with_last_verification():
    latest = VerificationResult.objects.filter(item=OuterRef("pk")).order_by("-checked_at", "-id")
    waiver = Waiver.objects.filter(item=OuterRef("pk"), state=Waiver.State.APPROVED) \
        .order_by("-expires_at")
    return (ChecklistItem.objects.select_related("owner", "evidence_content_type")
            .annotate(last_passed=Subquery(latest.values("passed")[:1]),
                      last_detail=Subquery(latest.values("detail")[:1]),
                      last_checked_at=Subquery(latest.values("checked_at")[:1]),
                      waiver_id=Subquery(waiver.values("pk")[:1]),
                      waiver_until=Subquery(waiver.values("expires_at")[:1]))
            .order_by("position"))


def item_is_closed(item, now) -> bool:
    """Done, or waived by an approved waiver that has not expired."""
    if item.status == ItemStatus.DONE:
        return True
    until = getattr(item, "waiver_until", None)
    return item.status == ItemStatus.WAIVED and until is not None and until > now


def blocker_reason(item) -> str:
    """Why an open required item blocks launch, in words an operator can act on."""
    if item.status == ItemStatus.WAIVED:
        until = getattr(item, "waiver_until", None)
        return (f"waiver expired at {until:%Y-%m-%d %H:%M} UTC" if until else
                "waived without an approved waiver")
    if item.verifier_key and getattr(item, "last_passed", None) is False:
        return f"verifier {item.verifier_key} failing: {item.last_detail}"
    reason = {
        ItemStatus.TODO: "to do, no evidence yet",
        ItemStatus.IN_PROGRESS: "in progress",
        ItemStatus.BLOCKED: "blocked",
    }.get(item.status, item.status)
    if item.verifier_key and item.verifier_key not in REGISTRY:
        reason += f" (verifier {item.verifier_key} not available yet: tick it by hand)"
    elif item.verifier_key and getattr(item, "last_checked_at", None) is None:
        reason += f" (verifier {item.verifier_key} has not run yet)"
    if item.status == ItemStatus.BLOCKED and item.evidence_note:
        reason += f": {item.evidence_note}"
    if item.owner_id:
        reason += f"; owner {item.owner.get_username()}"
    return reason


def readiness_compute(*, items=None, now=None) -> dict:
    """GO when no required item is open; percent of required items done or waived
    (by an approved waiver that has not expired).

    Returns the contract's keys (`decision`, `percent_complete`, `blockers`) plus
    `categories` (progress per category) for the readiness page.
    """
    now = now or timezone.now()
    items = list(checklist_items_with_last_verification() if items is None else items)
    for i in items:
        i.closed = item_is_closed(i, now)
    required = [i for i in items if i.required]
    closed = [i for i in required if i.closed]
    percent = round(100.0 * len(closed) / len(required), 1) if required else 100.0
    blockers = [{"category": i.category, "item": i.text, "reason": blocker_reason(i)}
                for i in required if not i.closed]
    categories: dict[str, dict] = {}
    for i in items:
        cat = categories.setdefault(i.category, {"name": i.category, "total": 0, "closed": 0,
                                                 "open_required": 0, "items": []})
        cat["items"].append(i)
        if i.required:
            cat["total"] += 1
            cat["closed"] += i.closed
            cat["open_required"] += not i.closed
    for cat in categories.values():
        cat["percent"] = round(100.0 * cat["closed"] / cat["total"], 1) if cat["total"] else 100.0
    return {
        "decision": "NO-GO" if blockers else "GO",
        "percent_complete": percent,
        "blockers": blockers,
        "categories": list(categories.values()),
    }


def readiness_public(readiness: dict) -> dict:
    """Exactly the contract's shape for GET /api/v1/readiness."""
    return {k: readiness[k] for k in ("decision", "percent_complete", "blockers")}


def launch_decision_latest() -> LaunchDecision | None:
    return LaunchDecision.objects.select_related("decided_by").prefetch_related(
        Prefetch("signoffs", queryset=DecisionSignoff.objects.select_related("user"))).first()
