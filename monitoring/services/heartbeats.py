"""Heartbeats: create them, record pings (healthchecks.io protocol), refresh their status."""

import datetime
import json

from django.conf import settings
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


# Words a pinger uses for "it failed" / "it started" / "it worked", in a JSON status or a
# one-word text body. Anything else in a status field counts as a failure: a pinger that
# says something the portal does not understand must not be read as healthy.
FAIL_WORDS = {"fail", "failed", "failure", "error", "err", "down", "critical", "crit",
              "unhealthy", "ko", "bad", "false"}
START_WORDS = {"start", "started", "starting", "running"}
OK_WORDS = {"ok", "okay", "success", "succeeded", "successful", "up", "healthy", "pass",
            "passed", "good", "true", "done", "alive"}


def _exit_status(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def ping_body_interpret(body: bytes, content_type: str = "") -> tuple[str | None, int | None,
                                                                     str]:
    """What a ping's body says: (kind or None for "nothing said", exit status, text kept).

    JSON objects: `status` (or `state`, `result`), `exit_code` (or `exit_status`, `rc`,
    `code`), `message`. A text body: a bare exit status ("1"), or a first word such as
    "fail" / "ok". The text kept is the body's first HEARTBEAT_PING_BODY_MAX bytes.
    """
    text = body[:settings.HEARTBEAT_PING_BODY_MAX].decode("utf-8", errors="replace")
    stripped = text.strip()
    if not stripped:
        return None, None, ""
    data = None
    if stripped[:1] in "{[" or "json" in content_type:
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
    if isinstance(data, dict):
        exit_status = next((s for key in ("exit_code", "exit_status", "exitcode", "rc", "code")
                            if (s := _exit_status(data.get(key))) is not None), None)
        status = next((data[key] for key in ("status", "state", "result")
                       if data.get(key) is not None), None)
        word = str(status).strip().lower() if status is not None else ""
        if exit_status not in (None, 0) or (word and word not in OK_WORDS | START_WORDS):
            return PingKind.FAIL, exit_status, text
        if word in START_WORDS:
            return PingKind.START, exit_status, text
        if word in OK_WORDS or exit_status == 0:
            return PingKind.SUCCESS, exit_status, text
        return None, exit_status, text  # a message only
    exit_status = _exit_status(stripped)
    if exit_status is not None:
        return (PingKind.SUCCESS if exit_status == 0 else PingKind.FAIL), exit_status, text
    first = stripped.split(None, 1)[0].strip(":.,;!").lower()
    if first in FAIL_WORDS:
        return PingKind.FAIL, None, text
    return None, None, text


def heartbeat_ping(*, heartbeat_uuid, kind: str = PingKind.SUCCESS,
                   now: datetime.datetime | None = None, method: str = "",
                   remote_addr: str | None = None, user_agent: str = "", body: str = "",
                   exit_status: int | None = None) -> Heartbeat | None:
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
                                     body=body, exit_status=exit_status,
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
