"""The verdict as records people sign and auditors read: a decision's export (JSON and
Markdown), the live waivers, and the history of the verdict. Reads only."""

from django.db.models import Prefetch
from django.utils import timezone

from checklist.models import (
    ChecklistItemEvent,
    DecisionSignoff,
    LaunchDecision,
    VerdictEvent,
    Waiver,
)
from deployments.selectors import deployments_imported


def waiver_json(waiver: Waiver) -> dict:
    return {
        "id": waiver.pk, "item_key": waiver.item.key, "item": waiver.item.text,
        "reason": waiver.reason, "state": waiver.state,
        "requested_by": waiver.requested_by.get_username(),
        "requested_at": waiver.requested_at.isoformat(),
        "approved_by": (waiver.decided_by.get_username()
                        if waiver.decided_by and waiver.state in ("approved", "expired")
                        else None),
        "decided_by": waiver.decided_by.get_username() if waiver.decided_by else None,
        "decided_at": waiver.decided_at.isoformat() if waiver.decided_at else None,
        "expires_at": waiver.expires_at.isoformat(),
    }


def waivers_visible(*, now=None) -> list[Waiver]:
    """Waivers the verdict depends on or may soon: approved and live, and pending."""
    now = now or timezone.now()
    live = Waiver.objects.filter(state=Waiver.State.APPROVED, expires_at__gt=now)
    pending = Waiver.objects.filter(state=Waiver.State.PENDING)
    return list((live | pending).select_related("item", "requested_by", "decided_by")
                .order_by("item__position"))


def decisions_with_signoffs():
    """Decisions with their sign-offs and signers fetched in two more queries, not per row."""
    return LaunchDecision.objects.select_related("decided_by").prefetch_related(
        Prefetch("signoffs", queryset=DecisionSignoff.objects.select_related("user")))


def decision_export(record: LaunchDecision) -> dict:
    """A decision with its sign-offs, revocation and the readiness it froze."""
    signoffs = list(record.signoffs.all())  # prefetched with their users by the callers
    snapshot = record.snapshot or {}
    return {
        "id": record.pk,
        "decision": record.decision,
        "decided_by": record.decided_by.get_username(),
        "decided_at": record.decided_at.isoformat(),
        "note": record.note,
        "state": decision_state(record),
        "signed_at": record.signed_at.isoformat() if record.signed_at else None,
        "signoffs": [{"role": s.role, "user": s.user.get_username(),
                      "signed_at": s.signed_at.isoformat(), "note": s.note} for s in signoffs],
        "revoked_at": record.regressed_at.isoformat() if record.regressed_at else None,
        "revocation_reason": record.regression_reason or None,
        "snapshot": snapshot,
    }


def decision_state(record: LaunchDecision) -> str:
    if record.decision != LaunchDecision.Decision.GO:
        return "no-go"
    if record.regressed_at:
        return "revoked"
    return "signed" if record.signed_at else "awaiting sign-off"


def decision_markdown(*, export: dict) -> str:
    """The decision record as Markdown: what was decided, who signed, on what evidence."""
    s = export["snapshot"]
    lines = [f"# Launch decision #{export['id']}: {export['decision']}", "",
             f"- Recorded by **{export['decided_by']}** at {export['decided_at']}",
             f"- State: **{export['state']}**"]
    if export["note"]:
        lines.append(f"- Note: {export['note']}")
    if export["revoked_at"]:
        lines.append(f"- **Revoked** at {export['revoked_at']}: {export['revocation_reason']}")
    lines += ["", "## Sign-offs", ""]
    lines += [f"- {x['role']}: **{x['user']}** at {x['signed_at']}"
              + (f" ({x['note']})" if x["note"] else "") for x in export["signoffs"]] or \
        ["- none yet"]
    lines += ["", f"## Readiness at {s.get('taken_at')}: {s.get('decision')}, "
                  f"{s.get('percent_complete')}% complete", ""]
    lines += ["## Waivers", ""]
    lines += [f"- **{w['item']}** (`{w['item_key']}`): asked by {w['requested_by']}, approved "
              f"by {w['approved_by']}, until {w['expires_at']}. {w['reason']}"
              for w in s.get("waivers", [])] or ["- none"]
    lines += ["", "## Blockers", ""]
    lines += [f"- {b['category']}: {b['item']} ({b['reason']})"
              for b in s.get("blockers", [])] or ["- none"]
    lines += ["", "## Items", "", "| Category | Item | Status | Evidence |", "|---|---|---|---|"]
    for i in s.get("items", []):
        evidence = (i.get("evidence") or "").replace("|", "\\|").replace("\n", " ")
        if i.get("waiver"):
            evidence = f"waived: {i['waiver']['reason']}".replace("|", "\\|")
        lines.append(f"| {i['category']} | {i['text']} | {i['status']} | {evidence} |")
    return "\n".join(lines) + "\n"


def verdict_history(*, limit: int = 500) -> list[dict]:
    """Item status changes, verdict events (waivers, decisions, sign-offs, revocations)
    and evidence imports, newest first, as one list for the history page."""
    items = [{"at": e.at, "kind": e.get_kind_display(), "actor": e.actor,
              "subject": e.item.text, "note": e.note or f"{e.from_status} → {e.to_status}"}
             for e in ChecklistItemEvent.objects.select_related("item", "actor")[:limit]]
    verdict = [{"at": e.at, "kind": e.get_kind_display(), "actor": e.actor,
                "subject": (e.item.text if e.item_id else
                            f"decision #{e.decision_id}" if e.decision_id else ""),
                "note": e.note}
               for e in VerdictEvent.objects.select_related("item", "actor")[:limit]]
    # Evidence fed in by hand is on the record too, as what it is: shown, never counted.
    imports = [{"at": d.recorded_at, "kind": "evidence imported", "actor": d.imported_by or "?",
                "subject": f"deployment #{d.pk} ({d.environment} {d.version})",
                "note": "imported with record_deployment: shown, never evidence for an item"}
               for d in deployments_imported(limit=limit)]
    return sorted(items + verdict + imports, key=lambda r: r["at"], reverse=True)[:limit]
