"""Issue 19.4: synthetic traffic (smoke tests, staging, the docs' examples) never counts.

Synthetic events are stored and shown, and left out of every rollup, metric, rule and
readiness item; a smoke test against a running portal changes no number.
"""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_create
from alerting.models import Alert, AlertRule
from alerting.services.alert_rules import alert_rules_bootstrap
from alerting.services.alerts import alerts_tick
from monitoring.models import Event, EventRollup
from monitoring.selectors.metrics import metrics_current
from tests.monitoring.events import ev, ingest, trade

pytestmark = pytest.mark.django_db

# What a careless test would most like to count: a failed trade, an unprotected one,
# a disconnected websocket, an RPC report and a slow /vibe.
def _unsettling(ts=None, **extra):
    return [trade(ts, success=False, error="boom", **extra),
            trade(ts, take_profit_pct=None, stop_loss_pct=None, via="jupiter", **extra),
            ev("ws_status", ts, connected=False, **extra),
            ev("rpc_status", ts, endpoint="smoke-rpc", ok=True, latency_ms=9, **extra),
            ev("command", ts, name="vibe", ok=False, duration_ms=9000, **extra),
            ev("rate_limit", ts, api="jupiter", used=99, limit=100, **extra)]


def _numbers(values: dict) -> dict:
    """The metrics without their clock."""
    return {k: v for k, v in values.items() if k not in ("generated_at", "now")}


def test_synthetic_events_are_stored_but_counted_nowhere():
    now = timezone.now()
    ingest([trade(now - datetime.timedelta(minutes=3))])
    before = _numbers(metrics_current(now=now))
    rollup_events = sum(EventRollup.objects.values_list("events", flat=True))

    accepted, _ = ingest(_unsettling(now - datetime.timedelta(minutes=2), synthetic=True)
                         + _unsettling(now - datetime.timedelta(seconds=5), synthetic=True))
    assert accepted == 12
    assert Event.objects.filter(synthetic=True).count() == 12
    # Neither the rollups nor the raw edge of the window (the last seconds) count them.
    assert sum(EventRollup.objects.values_list("events", flat=True)) == rollup_events
    assert _numbers(metrics_current(now=now)) == before


def test_the_tpsl_page_ignores_an_unprotected_synthetic_trade():
    alert_rules_bootstrap()
    now = timezone.now()
    ingest([trade(now, take_profit_pct=None, stop_loss_pct=None, synthetic=True)])
    alerts_tick(now=now + datetime.timedelta(seconds=1),
                values=metrics_current(now=now + datetime.timedelta(seconds=1)))
    rule = AlertRule.objects.get(name="Trades without TP/SL")
    assert not Alert.objects.filter(rule=rule).exists()
    # The same trade unmarked pages: the rule is alive, the flag is what spared it.
    ingest([trade(now, take_profit_pct=None, stop_loss_pct=None)])
    later = now + datetime.timedelta(seconds=2)
    alerts_tick(now=later, values=metrics_current(now=later))
    assert Alert.objects.filter(rule=rule).exists()


@pytest.mark.parametrize("value", ["true", 1, None, []])
def test_synthetic_must_be_a_boolean(value):
    _, raw = api_token_create(name="bot", scopes=["ingest"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    event = trade(synthetic=value)
    response = client.post("/api/v1/events", {"events": [event]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "synthetic"
    assert not Event.objects.exists()


def test_the_admin_tells_synthetic_events_apart(admin_client):
    ingest([trade(synthetic=True), trade()])
    page = admin_client.get("/admin/monitoring/event/?synthetic__exact=1")
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
