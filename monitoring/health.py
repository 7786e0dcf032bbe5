"""Component checks for /health, as django-health-check plugins.

Each is a `health_check.base.HealthCheck`; `critical` decides whether its
failure makes the portal `unhealthy` (503) or only `degraded` (200).
"""

import dataclasses
import datetime
import os
import tempfile
from pathlib import Path

from django.conf import settings
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable, ServiceWarning

from . import selectors
from .selectors import rpc as rpc_selectors

SCHEDULER_STALE_AFTER = datetime.timedelta(seconds=120)


@dataclasses.dataclass
class BackupDirWritable(HealthCheck):
    """The backup directory exists (or can be made) and takes a write."""

    def run(self):
        path = Path(settings.BACKUP_DIR)
        try:
            path.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path, prefix=".health-", delete=True) as fh:
                fh.write(b"ok")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise ServiceUnavailable(f"backup dir not writable: {exc.strerror}") from exc


@dataclasses.dataclass
class Scheduler(HealthCheck):
    """Beat enqueued and a worker ran the heartbeat task recently."""

    def run(self):
        last = selectors.scheduler_last_seen()
        if last is None:
            raise ServiceWarning("the scheduler has not run yet")
        age = datetime.datetime.now(datetime.UTC) - last
        if age > SCHEDULER_STALE_AFTER:
            raise ServiceWarning(f"last scheduler heartbeat {int(age.total_seconds())} s ago")


@dataclasses.dataclass
class RpcActiveHealthy(HealthCheck):
    """The RPC endpoint the bot is told to use answered its last getHealth probe."""

    def run(self):
        active = rpc_selectors.rpc_active()
        if active is None:
            raise ServiceWarning("no RPC endpoint is configured")
        if active.last_probe_at is None:
            raise ServiceWarning(f"{active.name} has not been probed yet")
        if not active.healthy:
            raise ServiceWarning(f"{active.name} failed its last {active.consecutive_failures} "
                                 "probe(s)")


@dataclasses.dataclass(frozen=True)
class Component:
    name: str
    check: HealthCheck
    critical: bool


def components() -> list[Component]:
    return [
        Component("database", Database(), critical=True),
        Component("cache", Cache(), critical=True),
        Component("storage", BackupDirWritable(), critical=True),
        Component("scheduler", Scheduler(), critical=False),
        Component("rpc", RpcActiveHealthy(), critical=False),
    ]
