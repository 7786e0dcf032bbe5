import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from checklist.models import ChecklistItem, ChecklistItemEvent, ItemStatus, VerificationResult
from checklist.services.verification import checklist_verify
from checklist.tasks import checklist_verify_task
from monitoring.services.health import scheduler_heartbeat_record

pytestmark = pytest.mark.django_db


def item(key):
    return ChecklistItem.objects.get(key=key)


def test_verify_checklist_prints_results_and_a_summary_ending_no_go(plan, docs_site):
    out = io.StringIO()
    call_command("verify_checklist", stdout=out)  # exits 0: no SystemExit raised
    lines = out.getvalue().strip().splitlines()
    assert lines[-1] == "NO-GO"
    text = out.getvalue()
    assert ("FAIL  [Infrastructure] Database consolidated (≤3 DBs): the bot's data stores are "
            "not measured: BOT_REPO_DIR is not set") in text
    assert "PASS  [Phase Exit Criteria] Documentation complete" in text
    assert "FAIL  [Infrastructure] Monitoring configured: plan rules missing" in text
    assert "----" not in text and ", 0 not wired;" in text
    assert "blocker [Code Quality] All phases 1-7 complete: to do, no evidence yet" in text


def test_passing_verifiers_tick_their_items_with_evidence_and_store_each_result(
        plan, docs_site):
    scheduler_heartbeat_record()
    now = timezone.now()
    checklist_verify(now=now)
    # Degraded (no RPC endpoint, no websocket report, no backup) is not "passing".
    assert item("deploy-health").status == ItemStatus.TODO
    assert "/health 200 degraded" in item("deploy-health").verifications.get().detail
    for key in ["deploy-migrated",
                "deploy-monitoring", "doc-user-guide", "doc-api", "doc-runbook", "exit-docs"]:
        it = item(key)
        assert it.status == ItemStatus.DONE, key
        assert it.evidence_note.startswith("verified "), key
        result = it.verifications.get()
        assert result.passed and result.checked_at == now
        assert it.events.get().kind == ChecklistItemEvent.Kind.VERIFIED
    assert item("exit-checklist-100").status == ItemStatus.TODO
    # a second run stores a second result but no new history: nothing changed
    checklist_verify(now=now + timedelta(minutes=5))
    assert item("doc-runbook").verifications.count() == 2
    assert item("doc-runbook").events.count() == 1


def test_evidence_that_goes_stale_turns_its_item_back_to_todo_recorded(plan, docs_site):
    checklist_verify()
    assert item("doc-runbook").status == ItemStatus.DONE
    (docs_site / "runbook" / "index.html").unlink()
    result = checklist_verify()
    runbook = item("doc-runbook")
    assert runbook.status == ItemStatus.TODO
    event = runbook.events.first()
    assert event.kind == ChecklistItemEvent.Kind.STALE
    assert "runbook/index.html" in event.note
    assert item("exit-docs").status == ItemStatus.TODO
    assert item("doc-user-guide").status == ItemStatus.DONE
    assert "2 stale" in result["summary"]


def test_an_item_ticked_by_hand_goes_back_when_its_verifier_fails(plan, settings, approver):
    settings.DOCS_SITE_DIR = "/nonexistent/site"
    from checklist.services.items import checklist_item_set_status

    checklist_item_set_status(item=item("doc-api"), status=ItemStatus.DONE, actor=approver,
                              evidence_url="https://docs.example/api")
    checklist_verify()
    assert item("doc-api").status == ItemStatus.TODO
    assert VerificationResult.objects.filter(item__key="doc-api", passed=False).exists()


def test_a_waived_item_stays_waived_when_its_verifier_fails(plan, settings, waive):
    settings.DOCS_SITE_DIR = "/nonexistent/site"
    waive(item("doc-api"))
    checklist_verify()
    assert item("doc-api").status == ItemStatus.WAIVED


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_the_portals_own_databases_never_count_for_the_bots_consolidation(plan, settings):
    settings.DATABASES = {**settings.DATABASES, **{f"extra{n}": settings.DATABASES["default"]
                                                   for n in range(3)}}
    settings.BOT_REPO_DIR = ""
    checklist_verify()
    result = item("infra-db-consolidated").verifications.get()
    assert not result.passed and "4 database" not in result.detail
    assert result.detail.startswith("the bot's data stores are not measured")


def test_the_scheduler_verifier_fails_on_a_stale_heartbeat(plan):
    scheduler_heartbeat_record()
    checklist_verify(now=timezone.now() + timedelta(minutes=10))
    result = item("deploy-monitoring").verifications.get()
    assert not result.passed and "s ago" in result.detail


def test_the_periodic_task_returns_a_short_summary(plan, docs_site):
    summary = checklist_verify_task()
    assert "verified" in summary and summary.endswith("NO-GO")


def test_the_environment_verifier_names_what_is_missing(plan, monkeypatch):
    from common.deploy_rules import REQUIRED_ENVIRONMENT

    for name in REQUIRED_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)
    checklist_verify()
    result = item("deploy-env").verifications.get()
    assert not result.passed and "BOT_CONTROL_URL" in result.detail
    for name in REQUIRED_ENVIRONMENT:
        monkeypatch.setenv(name, "set")
    monkeypatch.delenv("SECRET_KEY")
    monkeypatch.setenv("SECRET_KEY_FILE", "/run/secrets/key")
    checklist_verify()
    assert item("deploy-env").status == ItemStatus.DONE


def test_the_secrets_verifier_wants_a_real_secret_key_and_a_backup_key(plan, settings):
    settings.BACKUP_ENCRYPTION_KEYS = []
    checklist_verify()
    result = item("deploy-secrets").verifications.get()
    assert not result.passed and "BACKUP_ENCRYPTION_KEY is not set" in result.detail
    settings.BACKUP_ENCRYPTION_KEYS = ["k" * 44]
    settings.SECRET_KEY = "s" * 60
    checklist_verify()
    assert item("deploy-secrets").status == ItemStatus.DONE


def test_old_verification_results_are_pruned_but_each_items_latest_is_kept(
        settings, plan, docs_site):
    settings.CHECKLIST_VERIFICATION_RETENTION_DAYS = 14
    start = timezone.now() - timedelta(days=30)
    checklist_verify(now=start)                         # every wired item: its only result
    for day in (1, 2, 20):                             # 29, 28 and 10 days old
        checklist_verify(now=start + timedelta(days=day))
    kept = set(item("doc-runbook").verifications.values_list("checked_at", flat=True))
    assert kept == {start + timedelta(days=20)}
    # An item no longer verified keeps its last result, however old.
    ChecklistItem.objects.filter(key="doc-runbook").update(verifier_key="")
    checklist_verify(now=start + timedelta(days=40))
    assert list(item("doc-runbook").verifications.values_list("checked_at", flat=True)) == [
        start + timedelta(days=20)]
    assert VerificationResult.objects.filter(
        checked_at__lt=start + timedelta(days=26)).exclude(item__key="doc-runbook").count() == 0
