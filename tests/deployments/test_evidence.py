"""Preflight runs and staging rehearsals tick the launch checklist with evidence."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from deployments.evidence import (
    checklist_available,
    deployment_evidence_record,
    preflight_evidence_record,
)
from deployments.models import CheckRunKind
from deployments.services import CheckResult, check_run_record, deployment_record
from tests.deployments.test_deployments import summary

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not checklist_available(), reason="no checklist app yet")]


@pytest.fixture
def items():
    from checklist.models import ChecklistItem

    call_command("bootstrap", verbosity=0)
    return lambda key: ChecklistItem.objects.get(key=key)


def test_a_passing_rehearsal_ticks_staging_load_and_rollback_with_the_deployment(items):
    deployment = deployment_record(summary=summary())
    ticked = deployment_evidence_record(deployment=deployment)
    assert ticked == ["exit-staging: done", "final-load: done", "ops-rollback: done"]
    item = items("exit-staging")
    assert item.status == "done" and item.evidence_object == deployment


def test_a_failed_rollback_blocks_its_item_and_says_why(items):
    deployment = deployment_record(summary=summary(ok=False, rollback_ok=False))
    deployment_evidence_record(deployment=deployment)
    assert items("ops-rollback").status == "blocked"
    assert items("exit-staging").status == "blocked"
    assert "failed" in items("exit-staging").evidence_note


def test_preflight_decides_api_keys_from_channels_and_rpc_checks(items):
    run = check_run_record(kind=CheckRunKind.PREFLIGHT, target="h", started_at=timezone.now(),
                           results=[CheckResult("notification channels", "pass", "1 ok"),
                                    CheckResult("rpc endpoints", "fail", "main: refused")])
    assert preflight_evidence_record(run=run) == ["deploy-api-keys: blocked"]
    assert "main: refused" in items("deploy-api-keys").evidence_note


def test_checks_a_release_does_not_have_leave_the_item_alone(items):
    run = check_run_record(kind=CheckRunKind.PREFLIGHT, target="h", started_at=timezone.now(),
                           results=[CheckResult("notification channels", "skip", ""),
                                    CheckResult("rpc endpoints", "skip", "")])
    assert preflight_evidence_record(run=run) == []
    assert items("deploy-api-keys").status == "todo"
