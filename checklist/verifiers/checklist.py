"""Verifiers reading the checklist itself: completeness and the GO decision."""

from datetime import datetime

from django.db.models import Exists, OuterRef

from checklist.models import ChecklistItem, ItemStatus, LaunchDecision, Waiver
from checklist.verifiers import Result, verifier


@verifier("checklist_complete")
def checklist_complete(now: datetime) -> Result:
    # Every other required item: this one summarises them, it cannot count itself.
    live_waiver = Waiver.objects.filter(item=OuterRef("pk"), state=Waiver.State.APPROVED,
                                        expires_at__gt=now)
    open_items = (ChecklistItem.objects.filter(required=True)
                  .exclude(verifier_key="checklist_complete")
                  .exclude(status=ItemStatus.DONE)
                  .exclude(Exists(live_waiver), status=ItemStatus.WAIVED))
    count = open_items.count()
    if count:
        return False, f"{count} required item(s) still open", None
    return True, "every required item is done or waived", None


@verifier("go_recorded")
def go_recorded(now: datetime) -> Result:
    decision = LaunchDecision.objects.first()
    if decision is None or decision.decision != LaunchDecision.Decision.GO:
        return False, "no GO decision recorded", None
    if decision.regressed_at:
        return False, (f"the GO of {decision.decided_at:%Y-%m-%d %H:%M} was revoked: "
                       f"{decision.regression_reason}"), decision
    signers = ", ".join(f"{s.role} {s.user}" for s in decision.signoffs.select_related("user"))
    if decision.signed_at is None:
        return False, (f"the GO of {decision.decided_at:%Y-%m-%d %H:%M} awaits sign-off "
                       f"(signed so far: {signers or 'nobody'})"), decision
    return True, f"GO recorded by {decision.decided_by}, signed off by {signers}", decision
