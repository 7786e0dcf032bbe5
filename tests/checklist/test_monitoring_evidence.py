"""The plan's alert rules and a notification channel tick "Monitoring configured"."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerting.models import AlertRule, Notification, NotificationChannel
from alerting.services import notify
from alerting.services.alert_rules import alert_rules_bootstrap
from alerting.services.alerts import alerts_tick
from checklist.models import ChecklistItem, ItemStatus
from checklist.services.verification import checklist_verify
from monitoring.models import SchedulerHeartbeat
from monitoring.services.health import scheduler_heartbeat_record
from tests.servers import RecordingServer

pytestmark = pytest.mark.django_db


def item(key):
    return ChecklistItem.objects.get(key=key)


def test_the_plans_rules_and_a_channel_tick_monitoring_configured(plan):
    checklist_verify()
    assert "plan rules missing" in item("infra-monitoring-configured").verifications.get().detail
    alert_rules_bootstrap()
    checklist_verify()
    assert "no enabled notification channel" in \
        item("infra-monitoring-configured").verifications.first().detail
    NotificationChannel.objects.create(name="ops", url="json://127.0.0.1:9/hook",
                                       min_severity="warning")
    checklist_verify()
    assert item("infra-monitoring-configured").status == ItemStatus.DONE
    assert "notifying ops" in item("infra-monitoring-configured").evidence_note
    # Configured is not operational: nothing has run yet (issue 19.5).
    assert item("exit-monitoring").status == ItemStatus.TODO


def test_a_disabled_plan_rule_or_an_unheard_rule_turns_it_back(plan):
    alert_rules_bootstrap()
    channel = NotificationChannel.objects.create(name="pager", url="json://127.0.0.1:9/hook",
                                                 min_severity="warning")
    checklist_verify()
    assert item("infra-monitoring-configured").status == ItemStatus.DONE
    rule = AlertRule.objects.first()
    AlertRule.objects.filter(pk=rule.pk).update(enabled=False)
    checklist_verify()
    configured = item("infra-monitoring-configured")
    assert configured.status == ItemStatus.TODO
    assert f"plan rules disabled: {rule.name}" in configured.events.first().note
    AlertRule.objects.filter(pk=rule.pk).update(enabled=True)
    NotificationChannel.objects.filter(pk=channel.pk).update(min_severity="page")
    checklist_verify()
    detail = item("infra-monitoring-configured").verifications.first().detail
    if AlertRule.objects.exclude(severity="page").exists():
        assert detail.startswith("no channel receives: ")


def operational_detail():
    return item("exit-monitoring").verifications.order_by("-checked_at", "-pk").first().detail


def test_all_monitoring_operational_needs_the_scheduler_evaluated_rules_and_a_reached_channel(
        plan):
    alert_rules_bootstrap()
    with RecordingServer() as server:
        channel = notify.notification_channel_create(
            name="ops", url=server.url.replace("http://", "json://") + "/hook")
        checklist_verify()
        detail = operational_detail()
        assert "the scheduler (beat → worker) has never run" in detail
        assert "not evaluated in the last 120 s" in detail
        assert "no notification channel has been reached" in detail
        assert item("exit-monitoring").status == ItemStatus.TODO

        scheduler_heartbeat_record()
        alerts_tick(now=timezone.now())
        assert notify.notification_channel_send_test(channel=channel, now=timezone.now())
    assert server.requests  # the test message really went out
    checklist_verify()
    it = item("exit-monitoring")
    assert it.status == ItemStatus.DONE, operational_detail()
    assert "ops reached at" in it.evidence_note and "rule(s) evaluated" in it.evidence_note


def test_a_rule_the_last_loop_skipped_or_a_stale_scheduler_or_channel_fails_it(plan, settings):
    alert_rules_bootstrap()
    channel = NotificationChannel.objects.create(name="ops", url="json://127.0.0.1:9/hook")
    now = timezone.now()
    Notification.objects.create(channel=channel, kind="test", title="t", body="b",
                                created_at=now - timedelta(days=9),
                                delivered_at=now - timedelta(days=9))
    scheduler_heartbeat_record()
    alerts_tick(now=now)
    rule = AlertRule.objects.order_by("name").first()
    AlertRule.objects.filter(pk=rule.pk).update(last_evaluated_at=now - timedelta(minutes=5))
    SchedulerHeartbeat.objects.update(last_seen_at=now - timedelta(minutes=3))
    settings.MONITORING_CHANNEL_REACHED_MAX_AGE_DAYS = 7
    checklist_verify()
    detail = operational_detail()
    assert f"not evaluated in the last 120 s: {rule.name}" in detail
    assert "last scheduler heartbeat 1" in detail  # ~180 s
    assert "channel last reached stale: 9 days old, TTL 7" in detail
    assert item("exit-monitoring").status == ItemStatus.TODO

