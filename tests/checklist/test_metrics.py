from datetime import timedelta

import pytest
from django.utils import timezone

from checklist.models import SuccessMetric
from checklist.services.metrics import success_metric_enter, success_metrics_evaluate
from monitoring.models import BotMinute
from tests.monitoring.events import ev, ingest, trade

pytestmark = pytest.mark.django_db


def rows(metrics):
    return {r["key"]: r for r in success_metrics_evaluate(metrics=metrics)}


def test_bootstrap_seeds_the_plans_15_success_metrics(plan):
    assert SuccessMetric.objects.count() == 15
    assert SuccessMetric.objects.first().text == "99.9% uptime"


def _bot_minutes(count: int, down: int):
    """`count` settled minutes of the bot ending a minute ago, the oldest `down` of them down."""
    last = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=1)
    BotMinute.objects.bulk_create(
        BotMinute(minute=last - timedelta(minutes=i), computed_at=timezone.now(),
                  state="down" if i >= count - down else "up") for i in range(count))


def test_metrics_are_judged_on_30_days_of_the_bots_events_with_error_budgets(plan):
    _bot_minutes(2000, down=1)
    now = timezone.now()
    ingest([trade(now - timedelta(days=d), confirmation_ms=430) for d in (1, 3, 10)]
           + [trade(now - timedelta(days=12), success=False, via="jupiter", demo=True)]
           + [ev("command", now - timedelta(days=2), name="/vibe", ok=True, duration_ms=2500)])
    r = rows(None)
    assert r["uptime"]["value"] == 0.9995
    assert r["uptime"]["met"] is True and r["uptime"]["error_budget_left"] == 0.5
    assert r["uptime"]["source"].startswith("last 30 days: 2000 minutes of the bot's signals, "
                                            "data since ")
    assert r["trade-error-rate"]["value"] == 0.25 and r["trade-error-rate"]["met"] is False
    assert r["trade-error-rate"]["error_budget_left"] == -24.0
    assert r["confirmation-p95"]["met"] is True
    assert r["confirmation-p95"]["value"] == pytest.approx(430, rel=0.01)
    assert r["bags-share"]["value"] == 0.75 and r["bags-share"]["met"] is False
    assert r["demo-success"]["value"] == 0.0 and r["demo-success"]["met"] is False
    assert r["vibe-latency"]["met"] is False
    # The bot's data stores come from a scan of its code, never the portal's settings.
    assert r["databases"]["value"] is None and r["databases"]["met"] is None
    assert r["databases"]["error_budget_left"] is None


def test_an_unmeasured_metric_is_unknown_until_entered_by_hand_with_a_source(plan, operator):
    r = rows({})
    assert r["uptime"]["met"] is None
    assert r["uptime"]["source"] == "last 30 days: 0 minutes of the bot's signals: no data"
    assert r["retention"]["met"] is None
    metric = SuccessMetric.objects.get(key="retention")
    success_metric_enter(metric=metric, value=0.56, source="Mixpanel cohort week 1→4",
                         user=operator)
    r = rows({})
    assert r["retention"]["met"] is True and r["retention"]["value"] == 0.56
    assert r["retention"]["source"].startswith("entered by operator at ")
    assert r["retention"]["source"].endswith("Mixpanel cohort week 1→4")
