"""Heartbeats: create them, record pings (healthchecks.io protocol), refresh their status."""

import datetime

from django.db import transaction
from django.utils import timezone

from monitoring.models import Heartbeat, HeartbeatPing, HeartbeatStatus, PingKind
from monitoring.selectors.heartbeats import heartbeat_status_at


def heartbeat_create(*, name: str, period_seconds: int, grace_seconds: int) -> Heartbeat:
    """A new heartbeat in status `new`; its uuid is the secret in its ping URL."""
    heartbeat = Heartbeat(name=name, period_seconds=period_seconds, grace_seconds=grace_seconds)
    heartbeat.full_clean()
    heartbeat.save()
    return heartbeat


def heartbeat_ping(*, heartbeat_uuid, kind: str = PingKind.SUCCESS,
                   now: datetime.datetime | None = None, method: str = "",
                   remote_addr: str | None = None, user_agent: str = "") -> Heartbeat | None:
    """Record one ping; None if no heartbeat has this uuid.

    success/fail restart the period (fail also marks it down); start only
    records that a run began, as in healthchecks.io. The row lock keeps two
    pings racing from losing one another's update.
    """
    now = now or timezone.now()
    with transaction.atomic():
        heartbeat = Heartbeat.objects.select_for_update().filter(uuid=heartbeat_uuid).first()
        if heartbeat is None:
            return None
        if kind == PingKind.START:
            heartbeat.last_start_at = now
        else:
            heartbeat.last_ping_at, heartbeat.last_ping_kind = now, kind
        heartbeat.status = heartbeat_status_at(heartbeat=heartbeat, now=now)
        heartbeat.save(update_fields=["last_start_at", "last_ping_at", "last_ping_kind",
                                      "status"])
        HeartbeatPing.objects.create(heartbeat=heartbeat, kind=kind, at=now, method=method,
                                     remote_addr=remote_addr, user_agent=user_agent[:200],
                                     status_after=heartbeat.status)
    return heartbeat


def heartbeats_refresh(*, now: datetime.datetime | None = None) -> list[str]:
    """Store each heartbeat's status at `now`; -> one line per heartbeat that changed."""
    now = now or timezone.now()
    changed = []
    for heartbeat in Heartbeat.objects.exclude(status=HeartbeatStatus.NEW).order_by("name"):
        status = heartbeat_status_at(heartbeat=heartbeat, now=now)
        if status != heartbeat.status:
            # Conditional update: a ping landing meanwhile wins over this refresh.
            updated = Heartbeat.objects.filter(pk=heartbeat.pk, status=heartbeat.status,
                                               last_ping_at=heartbeat.last_ping_at
                                               ).update(status=status)
            if updated:
                changed.append(f"heartbeat {heartbeat.name}: {heartbeat.status} -> {status}")
    return changed
