"""Regressions go out through the alerting rules: the bootstrap rule on perf_regressions."""

import datetime

import pytest
from django.utils import timezone

from alerting.models import AlertRule
from alerting.services.alert_rules import alert_rule_create, alert_rules_bootstrap
from monitoring.services.performance import baseline_establish
from opsportal.minute import monitor_pass
from tests.monitoring.test_performance import put

pytestmark = pytest.mark.django_db(transaction=True)
M = datetime.timedelta(minutes=1)
H = datetime.timedelta(hours=1)


@pytest.fixture
def check_minute():
    """A recent minute on which the every-5-minutes regression check runs."""
    now = timezone.now().replace(second=30, microsecond=0)
    return now - (now.minute % 5) * M


def _baseline_and_current(now, current_values):
    put("http.metrics", now - 3 * H, [100] * 100)
    baseline_establish(measurement="http.metrics", now=now - 2 * H)
    put("http.metrics", now - 5 * M, current_values)


def test_a_regression_notifies_with_measurement_baseline_current_and_ratio(
        check_minute, page_channel, webhook):
    alert_rules_bootstrap()
    _baseline_and_current(check_minute, [130] * 40)
    lines = monitor_pass(now=check_minute)
    assert "alert Performance regression: firing" in "\n".join(lines)
    (message,) = [m for m in webhook.messages() if "Performance regression" in m["title"]]
    assert message["title"] == "[FIRING:warning] Performance regression"
    assert "http.metrics: p95 129.2 vs baseline 99.9 (1.0.0, " in message["message"]
    assert "ratio ×1.29, 40 samples" in message["message"]


def test_too_few_samples_send_no_alert(check_minute, page_channel, webhook):
    alert_rules_bootstrap()
    _baseline_and_current(check_minute, [300] * 29)
    lines = monitor_pass(now=check_minute)
    assert not any("Performance regression" in line for line in lines)
    assert not [m for m in webhook.messages() if "Performance" in m["title"]]


def test_a_rule_can_watch_one_measurements_ratio(check_minute, page_channel, webhook):
    alert_rule_create(name="metrics slower", metric_key="perf_p95_ratio.http.metrics",
                      operator=">", threshold=1.1, min_events=30, actions=["notify"])
    _baseline_and_current(check_minute, [130] * 40)
    assert "alert metrics slower: firing" in "\n".join(monitor_pass(now=check_minute))
    assert AlertRule.objects.get(name="metrics slower").alerts.get().value == pytest.approx(
        1.29, rel=0.01)
