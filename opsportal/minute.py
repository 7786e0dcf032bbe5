"""The minute loop: one pass = a list of steps, each returning what it changed.

It lives here, in the configuration, because it wires apps that must not import each
other: monitoring's probes and samples, backups' reaper, alerting's evaluation.
`monitor_once` and the every-minute beat task both call `monitor_pass`.
RPC probing runs before the health sample (its `rpc` check reads the probes)
and alert evaluation last, on the metrics of this minute.
"""

import datetime
import logging
from collections.abc import Callable

from django.utils import timezone

from alerting.selectors import bot_control_alert_values
from alerting.services import alerts, bot_control
from alerting.services.notify import announce
from backups.services import backup_runs_reap
from codescans.services import repo_scans_reap
from common.scheduling import Schedule
from monitoring.selectors.metrics import metrics_with_sample_counts
from monitoring.selectors.performance import performance_alert_values
from monitoring.selectors.rpc import rpc_switches_at
from monitoring.services import (
    bot_uptime,
    health,
    heartbeats,
    performance,
    probes,
    rpc,
    snapshots,
)

logger = logging.getLogger(__name__)

SCHEDULES = [
    Schedule(name="monitor pass", task="opsportal.tasks.monitor_pass", every_seconds=60),
]


def step_health_sample(*, now: datetime.datetime) -> list[str]:
    code, body = health.health_refresh()
    sample = health.uptime_sample_record(now=now, code=code, body=body)
    failed = f" (failing: {', '.join(sample.failed_checks)})" if sample.failed_checks else ""
    return [f"health: {sample.status}{failed}"]


def step_heartbeats(*, now: datetime.datetime) -> list[str]:
    return heartbeats.heartbeats_refresh(now=now)


def step_bot_uptime(*, now: datetime.datetime) -> list[str]:
    """The bot's settled minutes, judged from its events and heartbeat pings."""
    return bot_uptime.bot_minutes_record(now=now)


def step_metric_snapshot(*, now: datetime.datetime) -> list[str]:
    snap = snapshots.metric_snapshot_take(now=now)
    return [f"snapshot: {snap.trades_per_hour} trades/h, error rate {snap.data['error_rate']}"]


def step_rpc_probe(*, now: datetime.datetime) -> list[str]:
    probes = rpc.rpc_endpoints_probe(now=now)
    if not probes:
        return []
    active = rpc.rpc_active()
    lines = [f"rpc: {sum(p.ok for p in probes)}/{len(probes)} endpoints healthy, active "
             f"{active.name if active else 'none'}"]
    # A failback is the portal acting on its own: the people who heard the failover
    # hear that the bot is back on its preferred endpoint.
    for switch in rpc_switches_at(at=now, reason_prefix="failback"):
        queued, sent = announce(
            title=f"RPC failback: the bot is back on {switch.to_endpoint.name}",
            body=f"{switch.reason}; was on "
                 f"{switch.from_endpoint.name if switch.from_endpoint else 'none'}.",
            severity="warning", now=now)
        lines.append(f"rpc: failback to {switch.to_endpoint.name} announced ({sent}/{queued})")
    return lines


def step_dependency_probes(*, now: datetime.datetime) -> list[str]:
    """The bot's dependencies (status, latency, certificates) and, hourly, its API keys."""
    lines = []
    found = probes.dependencies_probe(now=now)
    if found:
        failing = [p.dependency.name for p in found if not p.ok]
        lines.append(f"dependencies: {len(found) - len(failing)}/{len(found)} ok"
                     + (f" (failing: {', '.join(failing)})" if failing else ""))
    checks = probes.api_keys_check(now=now)
    if checks:
        lines.append("api keys: " + ", ".join(f"{c.key.name} {c.outcome}" for c in checks))
    return lines


def step_backups(*, now: datetime.datetime) -> list[str]:
    """Backup runs and drills whose process died: failed, partial files removed."""
    return [f"backups: {line}" for line in backup_runs_reap(now=now)]


def step_repo_scans(*, now: datetime.datetime) -> list[str]:
    """Scans of the bot's repository whose process died: failed, with the reason."""
    return [f"codescans: {line}" for line in repo_scans_reap(now=now)]


def step_bot_control(*, now: datetime.datetime) -> list[str]:
    """exit_all requests nobody confirmed in time lapse (never sent late)."""
    return bot_control.bot_control_lapse(now=now)


def step_alerts(*, now: datetime.datetime) -> list[str]:
    values, samples = metrics_with_sample_counts(now=now)
    perf_values, perf_samples = performance_alert_values(now=now)
    values = {**values, **perf_values, **bot_control_alert_values(now=now)}
    samples = {**samples, **perf_samples}
    return [f"alert {line}" for line in alerts.alerts_tick(now=now, values=values,
                                                           samples=samples)]


# Order matters: heartbeats and RPC probes first so the health sample sees their
# fresh status; the performance check and the dead-backup reaper before alerts, which
# read their regressions and failed runs; alerts last, on this minute's metrics.
STEPS: list[Callable[..., list[str]]] = [
    step_rpc_probe, step_dependency_probes, step_heartbeats, step_health_sample,
    step_bot_uptime, step_metric_snapshot, performance.step_performance, step_backups,
    step_repo_scans, step_bot_control, step_alerts]


def monitor_pass(*, now: datetime.datetime | None = None) -> list[str]:
    """Run every step once at `now`; -> the summary lines of what changed.

    Each step is isolated: one that raises (an RPC probe, a reaper) is logged and
    reported, and the steps after it still run, alert evaluation above all: it is
    what pages someone about the very failure that broke the step.
    """
    now = now or timezone.now()
    lines = []
    for step in STEPS:
        try:
            lines.extend(step(now=now))
        except Exception:
            logger.exception("minute loop: %s failed", step.__name__)
            lines.append(f"{step.__name__.removeprefix('step_')}: failed (see log)")
    return lines
