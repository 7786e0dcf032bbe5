"""Run the automated verifiers, store each result, tick or un-tick items, flag a regressed GO."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from checklist.models import ChecklistItem, ChecklistItemEvent, ItemStatus, VerificationResult
from checklist.selectors import readiness_compute
from checklist.services.decisions import launch_decision_check_regression
from checklist.services.items import checklist_item_save
from checklist.services.waivers import waivers_expire
from checklist.verifiers import REGISTRY

logger = logging.getLogger(__name__)

# These summarise the others, so they run after every other item is updated.
RUN_LAST = ("checklist_complete", "go_recorded")


@dataclass
class ItemOutcome:
    item: ChecklistItem
    passed: bool | None  # None: the verifier is not wired (its app is not installed yet)
    detail: str
    change: str = ""  # "", "done", "stale"


def _run(key: str, now) -> tuple[bool, str, object | None]:
    try:
        passed, detail, evidence = REGISTRY[key](now)
        return bool(passed), detail, evidence
    except Exception as exc:  # one broken verifier must not stop the others
        logger.exception("verifier %s crashed", key)
        return False, f"verifier crashed: {exc.__class__.__name__}: {exc}", None


def _apply(item: ChecklistItem, key: str, passed: bool, detail: str, evidence, now) -> str:
    with transaction.atomic():
        result = VerificationResult(item=item, verifier_key=key, checked_at=now, passed=passed,
                                    detail=detail)
        if evidence is not None:
            result.evidence_set_object(evidence)
        result.save()
        item = ChecklistItem.objects.select_for_update().get(pk=item.pk)
        if passed and item.status in (ItemStatus.TODO, ItemStatus.IN_PROGRESS,
                                      ItemStatus.BLOCKED, ItemStatus.DONE):
            was_done = item.status == ItemStatus.DONE
            # Fresh evidence replaces the old: the newest backup run, the last drill.
            item.evidence_note = f"verified {now:%Y-%m-%d %H:%M} UTC: {detail}"
            if evidence is not None:
                item.evidence_set_object(evidence)
            item.status = ItemStatus.DONE
            checklist_item_save(item=item, kind=ChecklistItemEvent.Kind.VERIFIED,
                                note=f"{key}: {detail}", now=now)
            return "" if was_done else "done"
        if not passed and item.status == ItemStatus.DONE:
            item.status = ItemStatus.TODO
            checklist_item_save(item=item, kind=ChecklistItemEvent.Kind.STALE,
                                note=f"{key} now failing: {detail}", now=now)
            return "stale"
    return ""


def checklist_verify(*, now=None) -> dict:
    """Run every verifier once; returns outcomes, the readiness after, and a one-line summary."""
    now = now or timezone.now()
    expired = waivers_expire(now=now)  # first: an expired waiver's item is open again
    items = list(ChecklistItem.objects.exclude(verifier_key__isnull=True)
                 .exclude(verifier_key="").order_by("position"))
    items.sort(key=lambda i: RUN_LAST.index(i.verifier_key) + 1
               if i.verifier_key in RUN_LAST else 0)
    cache: dict[str, tuple] = {}
    outcomes: list[ItemOutcome] = []
    regression = None
    for item in items:
        key = item.verifier_key
        if key == "go_recorded" and regression is None:
            # A GO that regressed must be flagged before its own item is re-checked.
            regression = launch_decision_check_regression(now=now)
        if key not in REGISTRY:
            outcomes.append(ItemOutcome(item, None, f"verifier {key} not wired yet"))
            continue
        if key not in cache:
            cache[key] = _run(key, now)
        passed, detail, evidence = cache[key]
        change = _apply(item, key, passed, detail, evidence, now)
        outcomes.append(ItemOutcome(item, passed, detail, change))
    if regression is None:
        regression = launch_decision_check_regression(now=now)
    readiness = readiness_compute(now=now)
    ticked = sum(o.change == "done" for o in outcomes)
    stale = sum(o.change == "stale" for o in outcomes)
    ran = [o for o in outcomes if o.passed is not None]
    summary = (f"{len(ran)} verified ({sum(bool(o.passed) for o in ran)} passing), "
               f"{ticked} ticked, {stale} stale, {len(outcomes) - len(ran)} not wired; "
               f"{readiness['percent_complete']}% complete, {len(readiness['blockers'])} "
               f"blocker(s): {readiness['decision']}")
    if expired:
        summary += f"; {len(expired)} waiver(s) expired"
    if regression:
        summary += f"; GO of {regression.decided_at:%Y-%m-%d %H:%M} revoked"
    verification_results_prune(now=now)
    return {"outcomes": outcomes, "readiness": readiness, "summary": summary,
            "regressed": regression}



def verification_results_prune(*, now) -> int:
    """Results older than CHECKLIST_VERIFICATION_RETENTION_DAYS, except each item's latest
    (the readiness page shows it however old). Changes of status stay in the item history."""
    cutoff = now - timedelta(days=settings.CHECKLIST_VERIFICATION_RETENTION_DAYS)
    latest = (VerificationResult.objects.filter(item=OuterRef("item"))
              .order_by("-checked_at", "-pk").values("pk")[:1])
    return (VerificationResult.objects.filter(checked_at__lt=cutoff)
            .exclude(pk=Subquery(latest)).delete()[0])
