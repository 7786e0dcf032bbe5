"""Alert rules, channels and silences, made through alerting.services."""

import datetime

import factory
from django.utils import timezone

from alerting.models import AlertRule, NotificationChannel, Silence
from alerting.services import alert_rules, notify
from tests.factories import service_factory


class AlertRuleFactory(service_factory(alert_rules.alert_rule_create)):
    class Meta:
        model = AlertRule

    name = factory.Sequence(lambda n: f"rule {n}")
    metric_key = "error_rate"
    operator = ">"
    threshold = 0.05


class NotificationChannelFactory(service_factory(notify.notification_channel_create)):
    class Meta:
        model = NotificationChannel

    name = factory.Sequence(lambda n: f"channel {n}")
    url = "json://127.0.0.1:9/hook"  # nothing listens: deliveries fail, and are recorded


class SilenceFactory(service_factory(alert_rules.silence_create)):
    class Meta:
        model = Silence

    rule = factory.SubFactory(AlertRuleFactory)
    starts_at = factory.LazyFunction(timezone.now)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=1))
    reason = "maintenance"
