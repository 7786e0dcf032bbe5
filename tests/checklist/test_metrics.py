import pytest

from checklist.models import SuccessMetric
from checklist.services.metrics import success_metric_enter, success_metrics_evaluate

pytestmark = pytest.mark.django_db


def rows(metrics):
    return {r["key"]: r for r in success_metrics_evaluate(metrics=metrics)}


def test_bootstrap_seeds_the_plans_15_success_metrics(plan):
    assert SuccessMetric.objects.count() == 15
    assert SuccessMetric.objects.first().text == "99.9% uptime"


def test_metrics_are_computed_from_the_portals_numbers_with_error_budgets(plan):
    r = rows({"uptime_30d": 0.9995, "error_rate": 0.02, "confirmation_ms": {"p95": 430},
              "bags_share_24h": 0.75, "demo_success_rate_24h": 1.0, "vibe_p95_ms_24h": 2500})
    assert r["uptime"]["met"] is True and r["uptime"]["error_budget_left"] == 0.5
    assert r["trade-error-rate"]["met"] is False
    assert r["trade-error-rate"]["error_budget_left"] == -1.0
    assert r["confirmation-p95"]["met"] is True and r["confirmation-p95"]["value"] == 430
    assert r["bags-share"]["met"] is False
    assert r["demo-success"]["met"] is True
    assert r["vibe-latency"]["met"] is False
    # The bot's data stores come from a scan of its code, never the portal's settings.
    assert r["databases"]["value"] is None and r["databases"]["met"] is None
    assert r["databases"]["error_budget_left"] is None


def test_an_unmeasured_metric_is_unknown_until_entered_by_hand_with_a_source(plan, operator):
    r = rows({})
    assert r["uptime"]["met"] is None and r["uptime"]["source"] == "/metrics uptime_30d: no data"
    assert r["retention"]["met"] is None
    metric = SuccessMetric.objects.get(key="retention")
    success_metric_enter(metric=metric, value=0.56, source="Mixpanel cohort week 1→4",
                         user=operator)
    r = rows({})
    assert r["retention"]["met"] is True and r["retention"]["value"] == 0.56
    assert r["retention"]["source"].startswith("entered by operator at ")
    assert r["retention"]["source"].endswith("Mixpanel cohort week 1→4")
