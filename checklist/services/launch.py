"""The launch-day procedure and the post-launch reviews of the first 30 days."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from backups.services import backup_run_now, datastores_back_up_all
from checklist import plan_items, sources
from checklist.models import Launch, LaunchStep, LaunchStepEvent, PostLaunchReview, StepStatus
from common.history import actor_label, field_changes, field_values

DEFAULT_LAUNCH = "V1"


def _database_backup(step: LaunchStep, now) -> tuple[bool, str, object]:
    """T-12h: a backup now of the portal's database and of every registered data store of
    the bot, through the backups app. The portal's run is the evidence object; the note
    names every run, and each store's run records trigger "launch"."""
    run = backup_run_now(kind="database", trigger="launch")
    ok = run.status == "succeeded"
    note = (f"database backup run #{run.pk} succeeded ({run.size_bytes} bytes)" if ok
            else f"database backup run #{run.pk} {run.status}: {run.error}")
    stores = datastores_back_up_all(trigger="launch")
    if stores:
        ok = ok and all(r.status == "succeeded" for r in stores)
        note += "; data stores: " + "; ".join(
            f"{r.datastore_name} run #{r.pk} {r.status}"
            + (f" ({r.size_bytes} bytes)" if r.status == "succeeded" else f": {r.error}")
            for r in stores)
    return ok, note, run


# Automated steps, by label: a function(step, now) -> (ok, note, evidence object or None).
AUTOMATIONS = {"T-12h": _database_backup}


def launch_ensure(*, name: str = DEFAULT_LAUNCH) -> tuple[Launch, int]:
    """The launch and its plan steps (upserted by label). Returns it and how many steps were new."""
    launch, _ = Launch.objects.get_or_create(name=name)
    created = 0
    for label, offset, text, automated in plan_items.LAUNCH_STEPS:
        step, new = LaunchStep.objects.get_or_create(
            launch=launch, label=label,
            defaults={"text": text, "offset_minutes": offset, "automated": automated})
        created += new
        if not new and (step.text, step.offset_minutes, step.automated) != (text, offset,
                                                                           automated):
            step.text, step.offset_minutes, step.automated = text, offset, automated
            step.save(update_fields=["text", "offset_minutes", "automated"])
    if launch.launch_at:
        _due_times_refresh(launch)
    return launch, created


def launch_save(*, launch: Launch, schedule: bool = False) -> Launch:
    """Save a launch edited by hand: it gets the plan's steps; with `schedule` (its launch
    time changed), the steps' due times and the 30 days of reviews follow that time."""
    launch.save()
    launch_ensure(name=launch.name)
    if schedule:
        launch_schedule(launch=launch, launch_at=launch.launch_at)
    return launch


# What a hand edit may change; the rest (due time, completion) has its own services.
STEP_EDITABLE = ("owner", "status", "notes", "evidence_url")
STEP_HISTORY = (*STEP_EDITABLE, "due_at", "completed_at", "completed_by")


def _step_event(step: LaunchStep, before: dict, note: str, actor=None) -> None:
    changes = field_changes(before, step, STEP_HISTORY)
    if changes or not before:
        LaunchStepEvent.objects.create(step=step, actor=actor_label(actor), note=note,
                                       changes=changes)


def launch_step_save(*, step: LaunchStep, actor=None) -> LaunchStep:
    """Save a hand edit of a step that does not finish it (owner, notes, evidence).

    Only the editable fields are written, so an edit submitted with a new launch time
    keeps the due time that launch_save has just computed."""
    before = field_values(step, STEP_HISTORY)
    step.full_clean()
    step.save(update_fields=list(STEP_EDITABLE))
    _step_event(step, before, "edited", actor)
    return step


def _due_times_refresh(launch: Launch) -> None:
    if launch.launch_at is None:
        return
    for step in launch.steps.all():
        due = launch.launch_at + timedelta(minutes=step.offset_minutes)
        if step.due_at != due:
            before = {"due_at": step.due_at}
            step.due_at = due
            step.save(update_fields=["due_at"])
            LaunchStepEvent.objects.create(
                step=step, actor="system", note=f"due at {due:%Y-%m-%d %H:%M} UTC",
                changes=field_changes(before, step, ["due_at"]))


def _review_checks(plan: list[tuple[str, list[str]]]) -> list[dict]:
    return [{"text": text, "metrics": keys, "done": False, "note": ""} for text, keys in plan]


def launch_schedule(*, launch: Launch, launch_at) -> Launch:
    """Set T-0: every step's due time follows, and the 30 days of reviews are (re)planned."""
    if launch_at is None or timezone.is_naive(launch_at):
        raise ValidationError({"launch_at": "give the launch time with a time zone"})
    with transaction.atomic():
        launch.launch_at = launch_at
        launch.save(update_fields=["launch_at"])
        _due_times_refresh(launch)
        for day in range(1, plan_items.REVIEW_DAYS + 1):
            _review_upsert(launch, PostLaunchReview.Cadence.DAILY, day, plan_items.DAILY_REVIEW)
            if day % 7 == 0:
                _review_upsert(launch, PostLaunchReview.Cadence.WEEKLY, day,
                               plan_items.WEEKLY_REVIEW)
    return launch


def _review_upsert(launch, cadence, day, plan) -> None:
    due = launch.launch_at + timedelta(days=day)
    review, created = PostLaunchReview.objects.get_or_create(
        launch=launch, cadence=cadence, day=day, defaults={"due_at": due,
                                                           "checks": _review_checks(plan)})
    if not created and review.due_at != due:
        review.due_at = due
        review.save(update_fields=["due_at"])


def launch_step_finish(*, step: LaunchStep, status: str, actor=None, notes: str = "",
                       evidence_url: str = "", evidence_object=None, now=None) -> LaunchStep:
    """Mark a step done, skipped or failed, with who, when and notes."""
    if status == StepStatus.PENDING:
        raise ValidationError({"status": "a step is finished as done, skipped or failed"})
    if status == StepStatus.SKIPPED and not (notes or step.notes).strip():
        raise ValidationError({"notes": "say why the step is skipped"})
    before = field_values(step, STEP_HISTORY)
    step.status = status
    step.completed_at = now or timezone.now()
    step.completed_by = actor
    if notes:
        step.notes = notes
    if evidence_url:
        step.evidence_url = evidence_url
    if evidence_object is not None:
        step.evidence_set_object(evidence_object)
    step.full_clean()
    step.save()
    _step_event(step, before, status if not notes else f"{status}: {notes}", actor)
    return step


def launch_step_run(*, step: LaunchStep, now=None) -> str:
    """Run an automated step now (due or not), once; records the outcome and its evidence."""
    now = now or timezone.now()
    automation = AUTOMATIONS.get(step.label)
    if automation is None:
        raise ValidationError(f"{step.label} has no automation: do it by hand and tick it")
    # Claim the step once: two schedulers (or a click and the scheduler) must
    # not run the backup twice.
    if not LaunchStep.objects.filter(pk=step.pk, status=StepStatus.PENDING,
                                     completed_at__isnull=True).update(completed_at=now):
        return f"{step.launch.name} {step.label}: already {step.status} or running"
    LaunchStepEvent.objects.create(step=step, actor="system",
                                   note="claimed: the portal runs it now")
    try:
        ok, note, evidence = automation(step, now)
    except Exception as exc:  # recorded as a failed step rather than left claimed forever
        ok, note, evidence = False, f"{exc.__class__.__name__}: {exc}", None
    step.refresh_from_db()
    launch_step_finish(step=step, status=StepStatus.DONE if ok else StepStatus.FAILED,
                       notes=note, evidence_object=evidence, now=now)
    return f"{step.launch.name} {step.label}: {'done' if ok else 'failed'}: {note}"


def launch_steps_run_due(*, now=None) -> list[str]:
    """Run the automated steps that are due and still pending; one line per step."""
    now = now or timezone.now()
    lines = []
    due = LaunchStep.objects.filter(automated=True, status=StepStatus.PENDING,
                                    due_at__lte=now).select_related("launch")
    for step in due:
        if step.label not in AUTOMATIONS:
            lines.append(f"{step.launch.name} {step.label}: due, no automation installed "
                         f"(run it by hand and tick it)")
            continue
        lines.append(launch_step_run(step=step, now=now))
    return lines


def post_launch_review_prefill(*, review: PostLaunchReview, metrics: dict | None = None,
                               now=None) -> PostLaunchReview:
    """Fill the numbers each check asks for from /metrics (given, or computed now)."""
    metrics = sources.metrics_now() if metrics is None else metrics
    figures = {}
    for check in review.checks:
        for key in check.get("metrics", []):
            figures[key] = sources.metric_value(metrics, key)
    review.figures = figures
    review.figures_at = now or timezone.now()
    review.save(update_fields=["figures", "figures_at"])
    return review


def post_launch_reviews_prefill_due(*, now=None) -> int:
    """Pre-fill every open review that is due and has no numbers yet."""
    now = now or timezone.now()
    metrics = sources.metrics_now()
    reviews = PostLaunchReview.objects.filter(status=PostLaunchReview.Status.OPEN,
                                              due_at__lte=now, figures_at__isnull=True)
    count = 0
    for review in reviews:
        post_launch_review_prefill(review=review, metrics=metrics, now=now)
        count += 1
    return count


def post_launch_review_complete(*, review: PostLaunchReview, actor, notes: str = "",
                                now=None) -> PostLaunchReview:
    review.status = PostLaunchReview.Status.DONE
    review.completed_by = actor
    review.completed_at = now or timezone.now()
    if notes:
        review.notes = notes
    review.full_clean()
    review.save()
    return review
