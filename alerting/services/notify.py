"""Notification channels (Apprise URLs) and the delivery of notifications.

Deliveries happen outside any transaction and never raise: a channel that is
down is recorded on the notification (and on the alert's history) and retried
by the next evaluation, but never stops one.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

import apprise
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from alerting.models import (
    SEVERITY_RANK,
    Alert,
    AlertEvent,
    AlertEventKind,
    Notification,
    NotificationChannel,
    NotificationKind,
    Severity,
)
from common.redaction import redact

logger = logging.getLogger(__name__)


def channel_url_validate(url: str) -> None:
    """A ValidationError unless Apprise recognises the URL as a usable notification target."""
    if not url or not apprise.Apprise().add(url):
        raise ValidationError({"url": f"not a usable Apprise URL: {url!r} (see "
                               "https://github.com/caronc/apprise/wiki for the schemes)"})


def notification_channel_create(*, name: str, url: str, min_severity: str = Severity.WARNING,
                                escalation_level: int = 0) -> NotificationChannel:
    """Create a channel after checking its URL with Apprise."""
    channel_url_validate(url)
    channel = NotificationChannel(name=name, url=url, min_severity=min_severity,
                                  escalation_level=escalation_level)
    channel.full_clean()
    channel.save()
    return channel


def channels_for(*, severity: str, level: int = 0) -> list[NotificationChannel]:
    """Enabled channels of this escalation level whose minimum severity the alert meets."""
    rank = SEVERITY_RANK[Severity(severity)]
    return [c for c in NotificationChannel.objects.filter(enabled=True, escalation_level=level)
            if SEVERITY_RANK[Severity(c.min_severity)] <= rank]


def runbook_link(url: str) -> str:
    if not url:
        return ""
    return url if "://" in url else f"{settings.PORTAL_URL}{url}"


def notifications_queue(*, alert: Alert | None, channels: Iterable[NotificationChannel],
                        kind: str, title: str, body: str, now: datetime) -> list[Notification]:
    """Record one notification per channel (delivered later, outside the transaction)."""
    return Notification.objects.bulk_create([
        Notification(alert=alert, channel=c, kind=kind, title=title[:250], body=body,
                     created_at=now) for c in channels
    ])


def notify_type(notification: Notification) -> str:
    """Apprise's message type, so receivers (json:// `type`, colours, icons) see a page as
    a failure and a resolve as a success, not everything as `info`."""
    if notification.kind == NotificationKind.RESOLVED:
        return apprise.NotifyType.SUCCESS
    if notification.kind in (NotificationKind.TEST,):
        return apprise.NotifyType.INFO
    alert = notification.alert
    severity = str(alert.effective_severity if alert is not None else Severity.PAGE)
    return {str(Severity.PAGE): apprise.NotifyType.FAILURE,
            str(Severity.WARNING): apprise.NotifyType.WARNING}.get(severity,
                                                                   apprise.NotifyType.INFO)


def _apprise_send(url: str, title: str, body: str,
                  kind: str = apprise.NotifyType.INFO) -> tuple[bool, str]:
    ap = apprise.Apprise()
    if not ap.add(url):
        return False, "the channel URL is no longer a usable Apprise URL"
    with apprise.LogCapture(level=apprise.logging.WARNING) as log:
        try:
            ok = ap.notify(title=title, body=body, notify_type=kind)
        except Exception as exc:  # a plugin bug must not break evaluation
            logger.exception("apprise crashed")
            return False, redact(f"{type(exc).__name__}: {exc}")[:500]
        output = log.getvalue().strip()
    # Apprise's messages may quote the target URL: kept on the row and shown to Viewers.
    return bool(ok), redact(output.splitlines()[-1] if output else "delivery failed")[:500]


def notification_deliver(*, notification: Notification, now: datetime) -> bool:
    """Try one delivery; claims the attempt first so two evaluators never both send it."""
    claimed = Notification.objects.filter(
        pk=notification.pk, delivered_at__isnull=True, attempts=notification.attempts,
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        return False
    notification.attempts += 1
    ok, error = _apprise_send(notification.channel.url, notification.title, notification.body,
                              notify_type(notification))
    if ok:
        notification.delivered_at, notification.last_error = now, ""
    else:
        notification.last_error = error
    Notification.objects.filter(pk=notification.pk).update(
        delivered_at=notification.delivered_at, last_error=notification.last_error)
    if notification.alert_id:
        AlertEvent.objects.create(
            alert_id=notification.alert_id, at=now,
            kind=AlertEventKind.NOTIFIED if ok else AlertEventKind.NOTIFY_FAILED,
            text=f"{notification.kind} → {notification.channel.name}"
                 + ("" if ok else f" (attempt {notification.attempts}): {error}"),
            data={"notification": notification.pk, "channel": notification.channel.name},
        )
    return ok


def notifications_deliver(*, notifications: Iterable[Notification], now: datetime) -> int:
    """Deliver each; returns how many went out. Never raises for a failing channel."""
    sent = 0
    for n in notifications:
        try:
            sent += notification_deliver(notification=n, now=now)
        except Exception:
            logger.exception("delivering notification %s failed", n.pk)
    return sent


def notifications_retry(*, now: datetime) -> int:
    """Re-send undelivered notifications from earlier ticks that still have attempts left."""
    pending = list(Notification.objects.filter(
        delivered_at__isnull=True, attempts__lt=settings.NOTIFY_MAX_ATTEMPTS, created_at__lt=now,
    ).select_related("channel").order_by("created_at", "id")[:200])
    return notifications_deliver(notifications=pending, now=now)


def notification_channel_send_test(*, channel: NotificationChannel, now: datetime) -> bool:
    """Send a test message to the channel now; the outcome is recorded as a notification."""
    with transaction.atomic():
        (n,) = notifications_queue(
            alert=None, channels=[channel], kind=NotificationKind.TEST,
            title="opsportal test notification",
            body=f"This is a test of channel {channel.name!r} from {settings.PORTAL_URL}.",
            now=now)
    n.channel = channel
    return notification_deliver(notification=n, now=now)


def announce(*, title: str, body: str, severity: str = Severity.PAGE,
             now: datetime) -> tuple[int, int]:
    """Tell every enabled channel that takes `severity` something that is not an alert
    (other apps call this: a revoked GO). -> (queued, delivered); undelivered ones are
    retried by the minute loop like any notification."""
    queued = notifications_queue(alert=None, channels=channels_for(severity=severity),
                                 kind=NotificationKind.ANNOUNCEMENT, title=title, body=body,
                                 now=now)
    return len(queued), notifications_deliver(notifications=queued, now=now)
