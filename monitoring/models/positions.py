"""The bot's positions, kept current from its position_* events (issue 21)."""

from django.db import models


class Position(models.Model):
    """One position as its events describe it, applied in `ts` order.

    Events may arrive out of order: a close before its open, or an older
    TP/SL change after a newer one. Each field group keeps the `ts` it was
    set at, and an older event never overwrites a newer one. A position is
    open from `opened_at` until `closed_at`; without its open event yet
    (`opened_at` null) it is not counted at all.
    """

    position_id = models.CharField(max_length=200, unique=True)
    token = models.CharField(max_length=200, blank=True)
    size_sol = models.DecimalField(max_digits=22, decimal_places=9, null=True, blank=True)
    demo = models.BooleanField(default=False)
    opened_at = models.DateTimeField(null=True, blank=True)
    take_profit_pct = models.FloatField(null=True, blank=True)
    stop_loss_pct = models.FloatField(null=True, blank=True)
    tpsl_at = models.DateTimeField(null=True, blank=True,
                                   help_text="ts of the event that set the current TP/SL")
    closed_at = models.DateTimeField(null=True, blank=True)
    pnl_sol = models.DecimalField(max_digits=22, decimal_places=9, null=True, blank=True)
    close_reason = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            # Open positions (the guard) and closes in a window (PnL, streaks).
            models.Index(fields=["closed_at", "opened_at"], name="mon_position_open"),
        ]

    def __str__(self):
        return f"{self.position_id} ({self.token or '?'})"

    @property
    def protected(self) -> bool:
        return self.take_profit_pct is not None and self.stop_loss_pct is not None
