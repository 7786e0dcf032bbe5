"""Positions from position_* events: validation, ordering, idempotency and metrics."""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from monitoring.models import Position
from monitoring.prometheus import prometheus_text
from monitoring.selectors.metrics import metrics_current
from monitoring.services.event_schema import batch_validate
from tests.monitoring.events import ev, ingest

pytestmark = pytest.mark.django_db


def opened(pid, ts, *, tp=20, sl=10, **fields):
    return ev("position_open", ts, position_id=pid, token="BONK", size_sol="0.5",
              take_profit_pct=tp, stop_loss_pct=sl, **fields)


def closed(pid, ts, *, pnl="0.1", reason="tp"):
    return ev("position_close", ts, position_id=pid, pnl_sol=pnl, reason=reason)


def test_a_bad_position_event_refuses_the_whole_batch():
    now = timezone.now()
    good = opened("p1", now)
    bad = ev("position_close", now, position_id="p1", pnl_sol=0.1, reason="tp")
    parsed, errors = batch_validate({"events": [good, bad]}, now=now)
    assert errors == [{"index": 1, "field": "pnl_sol",
                       "message": 'must be a decimal string such as "0.25"'}]
    _, errors = batch_validate({"events": [ev("position_update", now, position_id="p1",
                                              take_profit_pct=10)]}, now=now)
    assert errors[0]["field"] == "stop_loss_pct"
    _, errors = batch_validate({"events": [opened("p1", now) | {"size_sol": "0"}]}, now=now)
    assert errors[0]["message"] == "must be a decimal > 0"
    assert not Position.objects.exists()


def test_events_out_of_order_and_retried_give_the_same_position():
    now = timezone.now()
    t0 = now - timedelta(minutes=10)
    events = [opened("p1", t0, tp=None, sl=None),
              ev("position_update", t0 + timedelta(minutes=2), position_id="p1",
                 take_profit_pct=30, stop_loss_pct=15),
              ev("position_update", t0 + timedelta(minutes=1), position_id="p1",
                 take_profit_pct=25, stop_loss_pct=None),
              closed("p1", t0 + timedelta(minutes=5), pnl="-0.2", reason="sl")]
    # The close and the newest update first, the open last, in separate batches.
    ingest([events[3], events[1]])
    ingest([events[2]])
    assert ingest([events[0], events[3]]) == (1, 1)  # the retried close is a duplicate
    p = Position.objects.get(position_id="p1")
    assert (p.opened_at, p.take_profit_pct, p.stop_loss_pct) == (t0, 30, 15)
    assert (p.closed_at, p.pnl_sol, p.close_reason) == (t0 + timedelta(minutes=5),
                                                        Decimal("-0.2"), "sl")


def test_synthetic_position_events_make_no_position():
    ingest([opened("smoke", timezone.now(), tp=None, synthetic=True)])
    assert not Position.objects.exists()
    assert metrics_current()["open_positions"] == 0


def test_position_metrics_in_json_and_prometheus(settings):
    settings.TPSL_GRACE_SECONDS = 30
    now = timezone.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=UTC)
    ingest([
        opened("fresh", now - timedelta(seconds=10), sl=None),  # inside the grace period
        opened("naked", now - timedelta(seconds=40), tp=None),
        opened("safe", now - timedelta(minutes=5)),
        # Closed positions: most recent two are stop-losses, before them a take-profit.
        opened("c1", now - timedelta(hours=30)), closed("c1", now - timedelta(hours=25),
                                                         pnl="5"),
        opened("c2", now - timedelta(hours=3)), closed("c2", now - timedelta(hours=2),
                                                        pnl="0.3"),
        opened("c3", now - timedelta(hours=3)), closed("c3", now - timedelta(seconds=90),
                                                        pnl="-0.25", reason="sl"),
        opened("c4", now - timedelta(hours=3)), closed("c4", now - timedelta(seconds=60),
                                                        pnl="-0.5", reason="sl"),
    ])
    body = metrics_current(now=now)
    assert body["open_positions"] == 3
    assert body["positions_without_tpsl"] == 1
    assert body["realized_pnl_sol_24h"] == pytest.approx(-0.45)
    assert body["sl_streak"] == 2
    assert body["drawdown_sol_24h"] == pytest.approx(0.75)  # from +0.3 down to -0.45
    # Closes since 00:00 UTC, whatever the hour the test runs at.
    closes = [(timedelta(hours=25), "5"), (timedelta(hours=2), "0.3"),
              (timedelta(seconds=90), "-0.25"), (timedelta(seconds=60), "-0.5")]
    today = sum((Decimal(pnl) for ago, pnl in closes if now - ago >= midnight), Decimal(0))
    assert body["daily_loss_sol"] == pytest.approx(float(max(Decimal(0), -today)))
    text = prometheus_text(body).decode()
    assert "opsportal_positions_without_tpsl 1.0" in text
    assert "opsportal_open_positions 3.0" in text
    assert "opsportal_sl_streak 2.0" in text
    assert "# HELP opsportal_daily_loss_sol" in text
    assert "opsportal_realized_pnl_sol_24h -0.45" in text
    # 30 s later the fresh one is past its grace too.
    assert metrics_current(now=now + timedelta(seconds=30))["positions_without_tpsl"] == 2


def test_the_positions_admin_lists_and_filters(client, portal_admin):
    now = timezone.now()
    ingest([opened("naked", now - timedelta(minutes=2), sl=None), opened("safe", now)])
    client.force_login(portal_admin)
    page = client.get("/admin/monitoring/position/?status=unprotected")
    assert page.status_code == 200
    assert b"naked" in page.content and b"safe" not in page.content
    assert client.get("/admin/monitoring/position/?q=BONK").status_code == 200


def test_a_resent_open_does_not_restart_the_grace_period(settings):
    settings.TPSL_GRACE_SECONDS = 30
    now = timezone.now()
    ingest([opened("p", now - timedelta(seconds=60), sl=None)])
    ingest([opened("p", now - timedelta(seconds=5), sl=None)])  # the bot re-sent it
    assert Position.objects.get().opened_at == now - timedelta(seconds=60)
    assert metrics_current(now=now)["positions_without_tpsl"] == 1
