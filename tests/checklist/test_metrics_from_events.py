"""Success metrics and review figures from the portal's own /metrics, fed by real events."""

from datetime import timedelta

import pytest
from django.utils import timezone

from checklist.services.launch import (
    launch_ensure,
    launch_schedule,
    post_launch_reviews_prefill_due,
)
from checklist.services.metrics import success_metrics_evaluate

pytestmark = pytest.mark.django_db


@pytest.fixture
def traded(ingest_client):
    ts = (timezone.now() - timedelta(minutes=1)).isoformat()
    trades = [
        {"via": "bags", "success": True, "confirmation_ms": 300, "partner_fee_sol": "0.01",
         "take_profit_pct": 20, "stop_loss_pct": 10},
        {"via": "bags", "success": True, "confirmation_ms": 400, "partner_fee_sol": "0.02",
         "take_profit_pct": 20, "stop_loss_pct": 10},
        {"via": "bags", "success": True, "confirmation_ms": 450, "partner_fee_sol": "0.01",
         "take_profit_pct": 20, "stop_loss_pct": 10},
        {"via": "jupiter", "success": False, "error": "slippage exceeded",
         "take_profit_pct": 20, "stop_loss_pct": 10},
    ]
    events = [{"id": f"t{n}", "type": "trade", "ts": ts, **t} for n, t in enumerate(trades)]
    events.append({"id": "tp0", "type": "tp_trigger", "ts": ts, "trade_id": "t0"})
    response = ingest_client.post("/api/v1/events", {"events": events}, format="json")
    assert response.status_code == 202, response.content


def test_success_metrics_are_computed_from_ingested_events(plan, traded):
    rows = {r["key"]: r for r in success_metrics_evaluate()}
    assert rows["bags-share"]["value"] == 0.75 and rows["bags-share"]["met"] is False
    assert rows["bags-share"]["source"].startswith("last 30 days: 4 trades, data since ")
    assert rows["trade-error-rate"]["value"] == 0.25
    assert rows["trade-error-rate"]["met"] is False
    assert rows["trade-error-rate"]["error_budget_left"] < 0
    p95 = rows["confirmation-p95"]["value"]
    assert 300 <= p95 <= 455 and rows["confirmation-p95"]["met"] is True


def test_due_reviews_are_prefilled_from_the_live_metrics(plan, traded):
    launch, _ = launch_ensure()
    launch_schedule(launch=launch, launch_at=timezone.now() - timedelta(days=7, hours=1))
    assert post_launch_reviews_prefill_due() == 8  # days 1..7 daily, and week 1
    daily = launch.reviews.get(cadence="daily", day=1)
    assert daily.figures["trades_24h"] == 4
    assert daily.figures["error_rate"] == 0.25
    assert daily.figures["tp_triggers_24h"] == 1
    weekly = launch.reviews.get(cadence="weekly", day=7)
    assert weekly.figures["bags_share_24h"] == 0.75
    assert weekly.figures["partner_fees_sol_24h"] in ("0.04", "0.040")
    assert launch.reviews.get(cadence="daily", day=8).figures == {}
    assert post_launch_reviews_prefill_due() == 0  # each review is pre-filled once


def test_the_30_day_error_rate_counts_trades_only_over_the_whole_window(plan, traded,
                                                                       ingest_client):
    now = timezone.now()
    old = (now - timedelta(days=20)).isoformat()
    events = [{"id": f"ok{n}", "type": "trade", "ts": old, "via": "bags", "success": True,
               "confirmation_ms": 300, "take_profit_pct": 20, "stop_loss_pct": 10}
              for n in range(4)]
    # Failed commands are not trade executions: they move /metrics error_rate only.
    events += [{"id": f"cmd{n}", "type": "command", "ts": now.isoformat(), "name": "/vibe",
                "ok": False, "duration_ms": 100} for n in range(8)]
    response = ingest_client.post("/api/v1/events", {"events": events}, format="json")
    assert response.status_code == 202, response.content
    rows = {r["key"]: r for r in success_metrics_evaluate()}
    # 1 failed of 8 trades: the 20-day-old ones count, the failed commands do not.
    assert rows["trade-error-rate"]["value"] == 0.125
    assert rows["trade-error-rate"]["source"].startswith("last 30 days: 8 trades, data since ")
    assert "(20.0 of 30 days)" in rows["trade-error-rate"]["source"]
    assert rows["bags-share"]["value"] == 7 / 8
