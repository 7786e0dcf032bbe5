"""Component checks for /health, as django-health-check plugins.

Each is a `health_check.base.HealthCheck`; `critical` decides whether its
failure makes the portal `unhealthy` (503) or only `degraded` (200).
"""

import asyncio
import dataclasses
import datetime
import os
import tempfile
from pathlib import Path

from django.conf import settings
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from redis.asyncio import Redis as RedisClient

from backups.selectors import backup_is_fresh
from common.beat import lease_current
from monitoring import selectors
from monitoring.models import Event
from monitoring.selectors import rpc as rpc_selectors

SCHEDULER_STALE_AFTER = datetime.timedelta(seconds=120)
WEBSOCKET_FRESH_FOR = datetime.timedelta(seconds=60)


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
class Broker(HealthCheck):
    """The Celery broker (CELERY_BROKER_URL) takes messages: Redis answers a PING, the
    embedded filesystem broker's folders take a write, any other broker (AMQP)
    accepts a connection. Every wait is bounded by HEALTH_BUDGET_SECONDS."""

    def run(self):
        url = settings.CELERY_BROKER_URL
        scheme = url.partition("://")[0].lower()
        timeout = settings.HEALTH_BUDGET_SECONDS
        if scheme in ("redis", "rediss"):
            # django-health-check's own Redis check; a client per run, closed after it.
            check = Redis(client_factory=lambda: RedisClient.from_url(
                url, socket_connect_timeout=timeout, socket_timeout=timeout))
            return asyncio.run(check.run())
        if scheme == "filesystem":
            return self._folders_writable()
        if scheme == "memory":
            return None
        # The project's Celery app (opsportal/__init__.py loads it first), without
        # importing the configuration from an app.
        from celery import current_app as app

        try:
            with app.connection_for_write(connect_timeout=timeout) as conn:
                conn.ensure_connection(max_retries=1, timeout=timeout)
        except Exception as exc:  # kombu raises per transport; any of them is "down"
            raise ServiceUnavailable(f"broker unreachable: {type(exc).__name__}") from exc

    @staticmethod
    def _folders_writable():
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
        for key in ("data_folder_in", "data_folder_out", "control_folder"):
            if not options.get(key):
                continue
            path = Path(options[key])
            try:
                path.mkdir(parents=True, exist_ok=True)  # as opsportal/celery.py does
                with tempfile.NamedTemporaryFile(dir=path, prefix=".health-", delete=True):
                    pass
            except OSError as exc:
                raise ServiceUnavailable(
                    f"broker folder {key} not writable: {exc.strerror}") from exc


def scheduler_active_text() -> str:
    """Which beat holds the scheduler lease (common/beat.py), in words."""
    lease = lease_current()
    if lease is None:
        return "no beat has held the scheduler lease yet"
    now = datetime.datetime.now(datetime.UTC)
    if lease.expires_at < now:
        return f"no active beat: the lease of {lease.holder} expired at " \
               f"{lease.expires_at:%H:%M:%S} UTC"
    return f"active beat {lease.holder} since {lease.acquired_at:%Y-%m-%d %H:%M:%S} UTC"


@dataclasses.dataclass
class Scheduler(HealthCheck):
    """Beat enqueued and a worker ran the heartbeat task recently."""

    def run(self):
        last = selectors.scheduler_last_seen()
        active = scheduler_active_text()
        if last is None:
            raise ServiceWarning(f"the scheduler has not run yet ({active})")
        age = datetime.datetime.now(datetime.UTC) - last
        if age > SCHEDULER_STALE_AFTER:
            raise ServiceWarning(f"last scheduler heartbeat {int(age.total_seconds())} s ago "
                                 f"({active})")
        return active


@dataclasses.dataclass
class RpcActiveHealthy(HealthCheck):
    """The RPC endpoint the bot is told to use answered its last getHealth probe.

    With no endpoint registered the check fails ("no endpoint configured"): the
    portal cannot vouch for an RPC it does not know. Non-critical: degraded, not down.
    """

    def run(self):
        active = rpc_selectors.rpc_active()
        if active is None:
            raise ServiceWarning("no endpoint configured")
        if active.last_probe_at is None:
            raise ServiceWarning(f"{active.name} has not been probed yet")
        if not active.healthy:
            raise ServiceWarning(f"{active.name} failed its last {active.consecutive_failures} "
                                 "probe(s)")
class Websocket(HealthCheck):
    """The bot reported its websocket connected (a `ws_status` event) in the last 60 s."""

    def run(self):
        now = datetime.datetime.now(datetime.UTC)
        latest = (Event.objects.filter(type="ws_status", ts__gt=now - WEBSOCKET_FRESH_FOR,
                                       ts__lte=now, synthetic=False)
                  .order_by("-ts").values_list("payload", flat=True).first())
        if latest is None:
            raise ServiceWarning("no websocket report from the bot in the last 60 s")
        if not latest.get("connected"):
            raise ServiceWarning("the bot reported its websocket disconnected")


@dataclasses.dataclass
class Heartbeats(HealthCheck):
    """Every heartbeat (cron jobs, the bot's own loops) pinged within its period + grace."""

    def run(self):
        now = datetime.datetime.now(datetime.UTC)
        overdue = selectors.heartbeats_overdue(now=now)
        if overdue:
            raise ServiceWarning(", ".join(f"{hb.name} is {status}" for hb, status in overdue))


@dataclasses.dataclass
class Backups(HealthCheck):
    """The last successful database backup is younger than its schedule plus grace."""

    def run(self):
        fresh, reason = backup_is_fresh(kind="database")
        if not fresh:
            raise ServiceWarning(reason)


@dataclasses.dataclass(frozen=True)
class Component:
    name: str
    check: HealthCheck
    critical: bool


def components() -> list[Component]:
    """Every /health check, critical ones first."""
    return [
        Component("database", Database(), critical=True),
        Component("cache", Cache(), critical=True),
        # Critical: alerts, backups and the stored health state all travel through it.
        Component("broker", Broker(), critical=True),
        Component("storage", BackupDirWritable(), critical=True),
        Component("scheduler", Scheduler(), critical=False),
        Component("rpc", RpcActiveHealthy(), critical=False),
        Component("websocket", Websocket(), critical=False),
        Component("heartbeats", Heartbeats(), critical=False),
        Component("backups", Backups(), critical=False),
    ]
