"""The bot's uptime, one row per minute, from the signals the bot itself sends."""

from django.db import models


class BotState(models.TextChoices):
    UP = "up"
    DEGRADED = "degraded"  # alive, but its websocket reported disconnected
    DOWN = "down"  # no signal at all, or its heartbeat reported /fail


class BotMinute(models.Model):
    """The bot's state during one minute [minute, minute + 60 s).

    Written by the minute loop once the minute has settled, and rewritten while it is
    recent (late events can still turn it up). Minutes with no signal are stored as
    down, never skipped: uptime is rows up over every minute since the bot's first
    signal, so silence cannot flatter it.
    """

    minute = models.DateTimeField(unique=True)
    state = models.CharField(max_length=8, choices=BotState.choices)
    events = models.PositiveIntegerField(default=0, help_text="Events with ts in the minute.")
    pings = models.PositiveIntegerField(default=0, help_text="Pings of the bot's heartbeats.")
    ws_connected = models.BooleanField(null=True, help_text="Last websocket state known at "
                                                            "the minute's end.")
    reason = models.CharField(max_length=200, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-minute"]

    def __str__(self):
        return f"bot {self.minute:%Y-%m-%d %H:%M} {self.state}"
