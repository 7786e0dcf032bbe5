"""Idempotent set-up: the plan's checklist, launch steps, success metrics and schedules."""

from checklist import plan_items
from checklist.models import ChecklistItem, SuccessMetric
from checklist.services.launch import launch_ensure
from common.scheduling import Schedule, periodic_task_upsert

SCHEDULES = [
    Schedule(name="checklist verify", task="checklist.tasks.checklist_verify_task",
             every_seconds=300),
    Schedule(name="launch steps run due", task="checklist.tasks.launch_steps_run_due_task",
             every_seconds=300),
]


def checklist_items_upsert() -> tuple[int, int]:
    """Upsert the plan's items by key; status, owner, evidence and history are kept."""
    created = updated = 0
    position = 0
    for category, items in plan_items.CHECKLIST:
        for key, text, verifier_key, required in items:
            position += 10
            wanted = {"category": category, "text": text, "position": position,
                      "verifier_key": verifier_key}
            item, new = ChecklistItem.objects.get_or_create(
                key=key, defaults=wanted | {"required": required})
            created += new
            if not new:
                changed = [k for k, v in wanted.items() if getattr(item, k) != v]
                if changed:
                    for k in changed:
                        setattr(item, k, wanted[k])
                    item.save(update_fields=changed)
                    updated += 1
    return created, updated


def success_metrics_upsert() -> int:
    created = 0
    for position, row in enumerate(plan_items.SUCCESS_METRICS):
        key, group, text, source, comparator, target, unit, budget = row
        _, new = SuccessMetric.objects.update_or_create(key=key, defaults={
            "group": group, "text": text, "position": position, "source": source or "",
            "comparator": comparator, "target": target, "unit": unit,
            "has_error_budget": budget})
        created += new
    return created


def checklist_bootstrap() -> list[str]:
    """Idempotent: what the checklist app needs on a fresh install."""
    created, updated = checklist_items_upsert()
    launch, steps = launch_ensure()
    metrics = success_metrics_upsert()
    schedules = sum(periodic_task_upsert(schedule=s) for s in SCHEDULES)
    return [
        f"checklist: {ChecklistItem.objects.count()} plan items ({created} new, {updated} "
        f"updated)",
        f"launch {launch.name}: {launch.steps.count()} launch-day steps ({steps} new), "
        f"{'date TBD' if not launch.launch_at else launch.launch_at.isoformat()}",
        f"success metrics: {SuccessMetric.objects.count()} objectives ({metrics} new)",
        f"checklist schedules: {len(SCHEDULES)} ({schedules} new)",
    ]
