from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from checklist.models import LaunchStep, PostLaunchReview, StepStatus
from checklist.services.launch import (
    launch_ensure,
    launch_schedule,
    launch_step_finish,
    launch_step_save,
    post_launch_review_prefill,
)
from checklist.tasks import launch_steps_run_due_task

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def test_bootstrap_creates_the_plans_launch_steps_with_the_date_tbd(plan):
    launch, _ = launch_ensure()
    steps = list(launch.steps.values_list("label", "text", "due_at"))
    assert steps[0] == ("T-24h", "Final staging test", None)
    assert [s[0] for s in steps] == ["T-24h", "T-12h", "T-6h", "T-4h", "T-2h", "T-0", "T+1h",
                                     "T+24h"]
    assert launch.steps.get(label="T-12h").automated


def test_setting_the_launch_time_computes_due_times_and_plans_30_days_of_reviews(plan):
    launch, _ = launch_ensure()
    launch_schedule(launch=launch, launch_at=T0)
    due = dict(launch.steps.values_list("label", "due_at"))
    assert due["T-24h"] == T0 - timedelta(hours=24)
    assert due["T-12h"] == T0 - timedelta(hours=12)
    assert due["T+1h"] == T0 + timedelta(hours=1)
    assert launch.reviews.filter(cadence="daily").count() == 30
    assert launch.reviews.filter(cadence="weekly").count() == 4
    weekly = launch.reviews.filter(cadence="weekly").first()
    assert [c["text"] for c in weekly.checks] == ["Performance review", "Bug triage",
                                                   "User satisfaction survey",
                                                   "Revenue/fees review"]
    # moving the launch moves everything, without duplicating reviews
    launch_schedule(launch=launch, launch_at=T0 + timedelta(days=1))
    assert launch.reviews.count() == 34
    assert launch.steps.get(label="T-0").due_at == T0 + timedelta(days=1)


def test_a_step_is_done_or_skipped_with_notes_and_who(plan, operator):
    launch, _ = launch_ensure()
    step = launch.steps.get(label="T-4h")
    with pytest.raises(ValidationError, match="why"):
        launch_step_finish(step=step, status=StepStatus.SKIPPED, actor=operator)
    launch_step_finish(step=step, status=StepStatus.DONE, actor=operator,
                       notes="smoke suite green", evidence_url="https://ci.example/run/9")
    step.refresh_from_db()
    assert (step.status, step.completed_by, step.notes) == ("done", operator,
                                                             "smoke suite green")


def test_the_periodic_task_reports_due_steps(plan, backup_env):
    launch, _ = launch_ensure()
    launch_schedule(launch=launch, launch_at=timezone.now() + timedelta(hours=1))
    summary = launch_steps_run_due_task()
    assert summary.startswith("1 automated step(s) due; 0 review(s) pre-filled: V1 T-12h: done")
    assert LaunchStep.objects.get(label="T-12h").status == StepStatus.DONE


def test_a_review_is_prefilled_with_the_numbers_its_checks_ask_for(plan):
    launch, _ = launch_ensure()
    launch_schedule(launch=launch, launch_at=T0)
    review = launch.reviews.get(cadence="daily", day=1)
    metrics = {"error_rate": 0.004, "trade_success_rate": 0.99, "trades_24h": 812,
               "tp_triggers_24h": 40, "sl_triggers_24h": 12, "tp_sl_trigger_rate": 0.064,
               "trades_without_tpsl_24h": 0}
    post_launch_review_prefill(review=review, metrics=metrics, now=T0 + timedelta(days=1))
    review.refresh_from_db()
    assert review.figures == metrics
    weekly = launch.reviews.get(cadence="weekly", day=7)
    post_launch_review_prefill(review=weekly, metrics={"confirmation_ms": {"p95": 420}})
    weekly.refresh_from_db()
    assert weekly.figures["confirmation_ms"] == {"p95": 420}
    assert weekly.figures["partner_fees_sol_24h"] is None
    assert PostLaunchReview.objects.filter(figures_at__isnull=False).count() == 2


def test_every_change_of_a_step_is_kept_on_its_history(plan, operator, backup_env):
    launch, _ = launch_ensure()
    launch_schedule(launch=launch, launch_at=timezone.now() + timedelta(hours=1))
    step = launch.steps.get(label="T-4h")
    step.owner, step.notes = operator, "Alice runs the smoke suite"
    launch_step_save(step=step, actor=operator)
    launch_step_finish(step=step, status=StepStatus.DONE, actor=operator, notes="green")
    scheduled, edited, done = step.events.all()
    assert scheduled.actor == "system" and scheduled.changes["due_at"][0] is None
    assert edited.actor == operator.username and edited.changes["owner"] == [None, operator.pk]
    assert done.note == "done: green" and done.changes["status"] == ["pending", "done"]
    # The portal's own step: claimed, then its outcome.
    launch_steps_run_due_task()
    notes = list(launch.steps.get(label="T-12h").events.values_list("note", flat=True))
    assert notes[1] == "claimed: the portal runs it now" and notes[2].startswith("done")


def test_an_edit_saved_with_a_new_launch_time_keeps_the_new_due_time(plan, operator):
    launch, _ = launch_ensure()
    step = launch.steps.get(label="T-0")
    launch_schedule(launch=launch, launch_at=T0)
    step.notes = "edited in the same submit"  # the stale instance has no due time
    launch_step_save(step=step, actor=operator)
    assert launch.steps.get(label="T-0").due_at == T0
