from celery import shared_task

from checklist.services.launch import launch_steps_run_due, post_launch_reviews_prefill_due
from checklist.services.verification import checklist_verify


@shared_task
def checklist_verify_task() -> str:
    return checklist_verify()["summary"]


@shared_task
def launch_steps_run_due_task() -> str:
    lines = launch_steps_run_due()
    prefilled = post_launch_reviews_prefill_due()
    return f"{len(lines)} automated step(s) due; {prefilled} review(s) pre-filled" + (
        ": " + "; ".join(lines) if lines else "")
