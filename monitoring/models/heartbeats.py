"""Heartbeats: jobs that ping /ping/<uuid> on a schedule (healthchecks.io protocol)."""

import uuid

from django.db import models


class PingKind(models.TextChoices):
    SUCCESS = "success"
    START = "start"
    FAIL = "fail"


class HeartbeatStatus(models.TextChoices):
    NEW = "new"
    UP = "up"
    LATE = "late"  # past its period, still within grace
    DOWN = "down"  # past period + grace, or it reported /fail


class Heartbeat(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100, unique=True)
    period_seconds = models.PositiveIntegerField(default=86400)
    grace_seconds = models.PositiveIntegerField(default=3600)
    status = models.CharField(max_length=5, choices=HeartbeatStatus.choices,
                              default=HeartbeatStatus.NEW)
    # The last success or fail ping: the period is counted from it. /start does not reset it.
    last_ping_at = models.DateTimeField(null=True, blank=True)
    last_ping_kind = models.CharField(max_length=7, choices=PingKind.choices, blank=True)
    last_start_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name


class HeartbeatPing(models.Model):
    """Append-only ping history; also records status changes (`status_after`)."""

    heartbeat = models.ForeignKey(Heartbeat, on_delete=models.CASCADE, related_name="pings")
    kind = models.CharField(max_length=7, choices=PingKind.choices)
    at = models.DateTimeField()
    method = models.CharField(max_length=6, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    # What the pinger said (healthchecks.io keeps the body too): its first
    # HEARTBEAT_PING_BODY_MAX bytes, and an exit status when one was given.
    body = models.TextField(blank=True)
    exit_status = models.IntegerField(null=True, blank=True)
    status_after = models.CharField(max_length=5, choices=HeartbeatStatus.choices)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["heartbeat", "-at"], name="mon_hbping_hb_at")]

    def __str__(self):
        return f"{self.heartbeat} {self.kind} {self.at:%Y-%m-%d %H:%M:%S}"
