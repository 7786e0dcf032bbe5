"""Raw events from the bot and their per-minute rollups."""

from django.db import models


class Event(models.Model):
    """One event as the bot sent it; `id` is the client's idempotency key.

    Raw rows exist for audit, the edge minutes of a metric window and the
    websocket check; /metrics otherwise reads `EventRollup`. Pruned after
    `EVENT_RETENTION_DAYS`.
    """

    id = models.CharField(max_length=64, primary_key=True)
    type = models.CharField(max_length=20)
    ts = models.DateTimeField()
    payload = models.JSONField()
    received_at = models.DateTimeField()
    # Smoke tests, staging and the docs' examples: kept for audit, left out of every
    # rollup, metric, rule and readiness item. db_default keeps a raw COPY without the
    # column (benchmarks, restores of older dumps) valid.
    synthetic = models.BooleanField(default=False, db_default=False)

    class Meta:
        indexes = [
            # The edge minutes of every metric window and the retention prune.
            models.Index(fields=["ts"], name="mon_event_ts"),
            # "Latest ws_status" for the websocket check; admin's type filter.
            models.Index(fields=["type", "ts"], name="mon_event_type_ts"),
        ]

    def __str__(self):
        return f"{self.type} {self.id}"


class EventRollup(models.Model):
    """Everything /metrics needs from one bucket of events (by event `ts`).

    Four resolutions (10 s, 1 min, 10 min, 1 h): a 24 h window is covered by
    at most 23 hours and about 40 smaller buckets at its edges, plus under
    30 s of raw events, however many events arrived. `data` is a serialised
    `monitoring.tally.Tally` (counts, the fee sum, mergeable latency
    histograms and the latest gauges of the bucket).
    """

    start = models.DateTimeField()
    seconds = models.PositiveIntegerField(help_text="Bucket length: 10, 60, 600 or 3600.")
    events = models.PositiveIntegerField(default=0)
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["seconds", "start"],
                                               name="mon_rollup_seconds_start")]

    def __str__(self):
        return f"{self.start:%Y-%m-%d %H:%M:%S} +{self.seconds}s ({self.events} events)"


class EventCounter(models.Model):
    """A Prometheus counter that only ever grows: one row per metric and label set.

    Incremented in the ingestion transaction, never pruned, so `rate()` and
    `increase()` over /metrics work whatever the event retention (rollups and raw
    events are pruned; a counter computed from them would fall).
    """

    name = models.CharField(max_length=64)
    labels = models.CharField(max_length=200, blank=True,
                              help_text='canonical "k=v,k=v", sorted by key')
    value = models.FloatField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "labels"],
                                               name="mon_counter_name_labels")]

    def __str__(self):
        return f"{self.name}{{{self.labels}}} {self.value:g}"
