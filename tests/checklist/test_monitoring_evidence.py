"""The plan's alert rules and a notification channel tick "Monitoring configured"."""

import pytest

from alerting.models import AlertRule, NotificationChannel
from alerting.services.alert_rules import alert_rules_bootstrap
from checklist.models import ChecklistItem, ItemStatus
from checklist.services.verification import checklist_verify

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
    for key in ["infra-monitoring-configured", "exit-monitoring"]:
        assert item(key).status == ItemStatus.DONE, key
        assert "notifying ops" in item(key).evidence_note


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
