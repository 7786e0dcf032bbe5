"""Two evaluators at the same moment (two real processes) fire and page once."""

import json
import sys

import pytest
from django.db import connection, transaction

from alerting.models import Alert, AlertEvent, AlertRule, Notification
from alerting.services.alert_rules import alert_rules_bootstrap
from tests.monitoring.conftest import T0
from tests.processes import ROOT, child_env, start, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def lock_waiters() -> int:
    with connection.cursor() as cursor:
        # Statistics views are snapshotted once per transaction: refresh each poll.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                       "current_database() AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


def test_two_evaluators_at_once_fire_act_and_page_once(tmp_path, page_channel, webhook):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock contention between processes needs PostgreSQL")
    alert_rules_bootstrap()
    # One rule in play (the backup rule would fire too on this empty database).
    AlertRule.objects.exclude(name="Trades without TP/SL").update(enabled=False)
    cmd = [sys.executable, str(ROOT / "manage.py"), "evaluate_alerts", "--values",
           json.dumps({"trades_without_tpsl_24h": 1}), "--now", T0.isoformat()]
    env = child_env(tmp_path)
    # Hold the rules' row locks so both processes queue at the same point, then let
    # them go together: the race the lock and the conditional UPDATEs must win.
    with transaction.atomic():
        list(AlertRule.objects.select_for_update())
        procs = [start(cmd, env, tmp_path / f"eval{i}.log") for i in range(2)]
        wait_for(lambda: lock_waiters() >= 2, 60, what="both evaluators waiting on the lock")
    for proc in procs:
        assert proc.wait(60) == 0
    logs = [(tmp_path / f"eval{i}.log").read_text() for i in range(2)]
    assert sum("Trades without TP/SL: firing" in log for log in logs) == 1, logs
    alert = Alert.objects.get()
    assert (alert.state, alert.fired_at) == ("firing", T0)
    assert list(AlertEvent.objects.filter(alert=alert).values_list("kind", flat=True)) == [
        "pending", "fired", "notified"]
    assert Notification.objects.count() == 1
    assert len(webhook.requests) == 1
