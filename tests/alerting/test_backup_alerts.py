"""A failed backup of any kind alerts on the next minute loop; that kind's next success
resolves it. One rule per kind, created by bootstrap."""

import pytest
from django.utils import timezone

from alerting.models import Alert, AlertRule
from alerting.services.alert_rules import alert_rules_bootstrap
from backups.models import BackupRun, BackupStatus
from backups.services import backup_run_now
from opsportal.minute import monitor_pass

pytestmark = pytest.mark.django_db(transaction=True)

KINDS = {"database": "Database", "wallet_keys": "Wallet keys", "config": "Configuration",
         "logs": "Logs"}


def test_bootstrap_creates_one_backup_failed_rule_per_kind_once(db):
    alert_rules_bootstrap()
    for kind, label in KINDS.items():
        rule = AlertRule.objects.get(name=f"{label} backup failed")
        assert (rule.metric_key, rule.operator, rule.threshold, rule.for_seconds) == (
            f"backup_failed.{kind}", ">", 0, 0)
        assert rule.severity == "warning" and rule.actions == ["notify"]
        assert rule.labels == {"component": "backups", "backup_kind": kind}
        assert rule.runbook_url == "/docs/runbook/#backup-failed"
    count = AlertRule.objects.count()
    AlertRule.objects.filter(name="Logs backup failed").update(enabled=False)
    alert_rules_bootstrap()
    assert AlertRule.objects.count() == count
    assert not AlertRule.objects.get(name="Logs backup failed").enabled  # an edit survives


@pytest.fixture
def blocked_storage(settings, backup_dir):
    """Make the backup directory unwritable (a file where it should be); unblock() undoes it."""
    original = settings.STORAGES
    blocker = backup_dir.parent / "not-a-dir"
    blocker.write_text("a file where the backup directory should be")
    settings.STORAGES = {**original, "backups": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(blocker / "backups")}}}

    def unblock():
        settings.STORAGES = original

    return unblock


def titles(webhook, rule_name):
    return [m["title"] for m in webhook.messages() if rule_name in m["title"]]


def test_a_failed_backup_notifies_on_the_next_minute_loop_and_its_next_success_resolves_it(
        plan_rules, page_channel, webhook, blocked_storage):
    assert not [line for line in monitor_pass(now=timezone.now()) if "backup failed" in line]

    failed = backup_run_now(kind="database")
    assert failed.status == BackupStatus.FAILED and failed.error
    lines = monitor_pass(now=timezone.now())
    assert "alert Database backup failed: firing" in lines
    assert not [line for line in lines if "backup failed" in line and "Database" not in line]
    (message,) = [m for m in webhook.messages() if "Database backup failed" in m["title"]]
    assert message["title"] == "[FIRING:warning] Database backup failed"
    assert f"Run #{failed.pk} (command) failed at " in message["message"]
    assert failed.error in message["message"]
    assert "No successful database backup is stored." in message["message"]
    assert "/docs/runbook/#backup-failed" in message["message"]

    # Still failed next minute: no second page. Another kind failing pages on its own.
    wallet = backup_run_now(kind="wallet_keys")
    assert wallet.status == BackupStatus.FAILED
    lines = monitor_pass(now=timezone.now())
    assert "alert Wallet keys backup failed: firing" in lines
    assert titles(webhook, "Database backup failed") == ["[FIRING:warning] Database backup failed"]

    # A failed run followed by one still running is still a failure.
    blocked_storage()
    BackupRun.objects.create(kind="database", status=BackupStatus.RUNNING,
                             started_at=timezone.now(), heartbeat_at=timezone.now())
    monitor_pass(now=timezone.now())
    assert Alert.objects.get(rule__name="Database backup failed").state == "firing"

    good = backup_run_now(kind="database")
    assert good.status == BackupStatus.SUCCEEDED, good.error
    lines = monitor_pass(now=timezone.now())
    assert "alert Database backup failed: resolved (1 channels told)" in lines
    resolved = [m for m in webhook.messages() if "Database backup failed" in m["title"]][-1]
    assert resolved["title"] == "[RESOLVED:warning] Database backup failed"
    assert f"Last successful database backup: run #{good.pk}, 0.0 h ago" in resolved["message"]
    # The wallet-key failure is its own episode: it keeps firing until a wallet-key success.
    assert Alert.objects.get(rule__name="Wallet keys backup failed").state == "firing"
