"""One scheduler at a time: a lease in the database that beat must hold to dispatch.

Two `celery beat` processes (a second host, a restart that overlapped, a stray
`make run`) would each send every periodic task: doubled backups, drills and RPC
probes. django-celery-beat has no leader election and celery-singleton-style task
locks guard tasks, not the scheduler, so this wraps its DatabaseScheduler: every
tick first holds or renews the lease (an atomic conditional UPDATE, on SQLite and
PostgreSQL alike); a process that cannot is a standby, dispatches nothing, and
retries until the lease expires (BEAT_LEASE_SECONDS, default 60), then takes over.
"""

import datetime
import logging
import os
import secrets
import socket
import threading

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone
from django_celery_beat.schedulers import DatabaseScheduler

from common.models import PeriodClaim, SchedulerLease

logger = logging.getLogger(__name__)
LEASE_NAME = "beat"


def lease_hold(*, holder: str, now: datetime.datetime | None = None,
               seconds: float | None = None) -> bool:
    """Take or renew the lease for `holder`; False while another holds it unexpired."""
    now = now or timezone.now()
    ttl = datetime.timedelta(seconds=seconds or settings.BEAT_LEASE_SECONDS)
    mine_or_expired = Q(holder=holder) | Q(expires_at__lt=now)
    current = SchedulerLease.objects.filter(name=LEASE_NAME).values_list("holder",
                                                                         flat=True).first()
    changes = {"holder": holder, "renewed_at": now, "expires_at": now + ttl,
               "hostname": socket.gethostname()[:200], "pid": os.getpid()}
    if current != holder:
        changes["acquired_at"] = now
    if SchedulerLease.objects.filter(mine_or_expired, name=LEASE_NAME).update(**changes):
        if current != holder:
            logger.warning("beat: %s now holds the scheduler lease (was %s)", holder,
                           current or "nobody")
        return True
    if current is not None:
        return False
    try:
        with transaction.atomic():
            SchedulerLease.objects.create(name=LEASE_NAME, **changes)
    except IntegrityError:  # another beat created it first
        return False
    return True


def lease_release(*, holder: str) -> None:
    """Give the lease up at shutdown so a standby takes over at once."""
    SchedulerLease.objects.filter(name=LEASE_NAME, holder=holder).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1))


def lease_current() -> SchedulerLease | None:
    """The lease as stored (its holder is active while `expires_at` is ahead)."""
    return SchedulerLease.objects.filter(name=LEASE_NAME).first()


def period_claim(*, key: str, every_seconds: float, now: datetime.datetime | None = None,
                 by: str = "") -> bool:
    """Claim this period's run of `key` (a job that runs every `every_seconds`); False when
    it ran less than half a period ago: the caller skips the work.

    One conditional UPDATE decides, so of two concurrent claims exactly one wins.
    """
    now = now or timezone.now()
    gap = datetime.timedelta(seconds=max(every_seconds, 1) / 2)
    changes = {"last_claimed_at": now, "claimed_by": by[:200]}
    if PeriodClaim.objects.filter(key=key, last_claimed_at__lte=now - gap).update(**changes):
        return True
    try:
        with transaction.atomic():
            PeriodClaim.objects.create(key=key, **changes)
    except IntegrityError:  # it exists and was claimed within the gap
        return False
    return True


class SingleBeatScheduler(DatabaseScheduler):
    """django-celery-beat's DatabaseScheduler that dispatches only while holding the lease."""

    def __init__(self, *args, **kwargs):
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._leader = False
        self._lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def _is_leader(self) -> bool:
        try:
            close_old_connections()
            leader = lease_hold(holder=self.holder)
        except Exception:  # the database is down: dispatch nothing rather than double
            logger.exception("beat: cannot reach the scheduler lease")
            leader = False
        if leader != self._leader:
            logger.warning("beat %s: %s", self.holder,
                           "active (holds the lease)" if leader else "standby")
            if leader:
                # Taking over: what the last leader ran (last_run_at) is in the database,
                # not in this standby's memory; read it again before anything is due.
                self._last_full_sync = datetime.datetime(1970, 1, 1)
            self._leader = leader
        return leader

    def tick(self, *args, **kwargs):
        with self._lock:
            if not self._is_leader():
                # Standby: look again well within the lease, so a dead leader's lease is
                # taken soon after it expires.
                return min(settings.BEAT_LEASE_SECONDS / 4, 5.0)
        interval = super().tick(*args, **kwargs)
        # Renew well before expiry even when nothing is due for a while.
        return min(interval, settings.BEAT_LEASE_SECONDS / 3)

    def close(self):
        try:
            if self._leader:
                lease_release(holder=self.holder)
        except Exception:
            logger.exception("beat: could not release the scheduler lease")
        super().close()
