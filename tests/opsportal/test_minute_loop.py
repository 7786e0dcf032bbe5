"""The minute loop isolates its steps: one that raises never skips the ones after it."""

import functools
import logging

import pytest
from django.utils import timezone

from alerting.models import Alert, AlertRule
from monitoring.models import UptimeSample
from monitoring.services import rpc
from opsportal import minute

pytestmark = pytest.mark.django_db


@pytest.fixture
def stale_backup_rule(db):
    # No backup exists, so backup_database_stale is 1 on every pass.
    return AlertRule.objects.create(name="backups stale", metric_key="backup_database_stale",
                                    operator=">", threshold=0, for_seconds=0)


def test_a_failing_rpc_probe_still_lets_health_and_alert_evaluation_run(
        monkeypatch, stale_backup_rule, caplog):
    def probe_raises(*, now):
        raise RuntimeError("the RPC probe blew up")

    # The fault is injected in the step's own call, as a bug there would raise it.
    monkeypatch.setattr(rpc, "rpc_endpoints_probe", probe_raises)
    with caplog.at_level(logging.ERROR, logger="opsportal.minute"):
        lines = minute.monitor_pass(now=timezone.now())
    assert lines[0] == "rpc_probe: failed (see log)"
    assert any(line.startswith("health: ") for line in lines)
    assert UptimeSample.objects.count() == 1
    # Alert evaluation, last, still ran and raised the alert.
    assert Alert.objects.filter(rule=stale_backup_rule, state="firing").exists()
    assert "rpc_probe failed" in caplog.text and "the RPC probe blew up" in caplog.text


@pytest.mark.parametrize("step", minute.STEPS, ids=lambda s: s.__name__)
def test_every_step_but_the_failing_one_runs(monkeypatch, step):
    ran, names = [], [s.__name__ for s in minute.STEPS]
    steps = []
    for original in minute.STEPS:
        @functools.wraps(original)
        def wrapped(*, now, original=original):
            ran.append(original.__name__)
            if original is step:
                raise ValueError("boom")
            return []
        steps.append(wrapped)
    monkeypatch.setattr(minute, "STEPS", steps)
    lines = minute.monitor_pass(now=timezone.now())
    assert ran == names
    assert lines == [f"{step.__name__.removeprefix('step_')}: failed (see log)"]
