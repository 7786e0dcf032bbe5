"""Event ingestion: store new events once, roll them up per minute, prune old ones."""

import datetime
import json

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from common.scheduling import Schedule
from monitoring.counters import counter_increments, counters_add
from monitoring.models import (
    BotMinute,
    Event,
    EventRollup,
    HeartbeatPing,
    MetricSnapshot,
    UptimeSample,
)
from monitoring.rollups import FINEST, RESOLUTIONS, bucket_start
from monitoring.services.positions import positions_apply
from monitoring.tally import Tally

SCHEDULES = [
    Schedule(name="prune old events", task="monitoring.tasks.events_prune",
             crontab={"minute": "17", "hour": "3"}),
]
UPTIME_KEEP_DAYS = 31  # uptime_30d needs 30 days of samples whatever the event retention


_COLUMNS = "(id, type, ts, payload, received_at, synthetic)"


def _copy_rows(cursor, table: str, rows: list[tuple]) -> None:
    with cursor.copy(f"COPY {table} {_COLUMNS} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _insert_new_postgresql(rows: list[tuple]) -> set[str]:
    """COPY the rows whose ids are not stored yet; -> the ids inserted.

    COPY is several times faster than INSERT for a 1000-event batch. The
    fast path COPYs straight into the table (inside a savepoint): a batch of
    new events, the usual case, costs no extra query. If any id is already
    stored (a retry) or a concurrent request is storing it, the unique index
    rejects the COPY; then the batch goes through a session temp table and
    INSERT ... ON CONFLICT DO NOTHING RETURNING id, which is race-free but
    writes every row twice.
    """
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                _copy_rows(cursor, "monitoring_event", rows)
            return {r[0] for r in rows}
        except (IntegrityError, psycopg.errors.UniqueViolation):
            pass  # COPY bypasses Django's error translation: psycopg's own class arrives
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS mon_event_incoming "
            "(LIKE monitoring_event) ON COMMIT DELETE ROWS")
        # Also emptied explicitly: inside an outer transaction (tests) no commit clears it.
        cursor.execute("TRUNCATE mon_event_incoming")
        _copy_rows(cursor, "mon_event_incoming", rows)
        cursor.execute(
            f"INSERT INTO monitoring_event {_COLUMNS} "
            "SELECT id, type, ts, payload, received_at, synthetic FROM mon_event_incoming "
            "ON CONFLICT (id) DO NOTHING RETURNING id")
        return {r[0] for r in cursor.fetchall()}


def _insert_new_other(rows: list[tuple]) -> set[str]:
    # SQLite serialises writers, so a pre-check inside the transaction is enough there.
    ids = [r[0] for r in rows]
    existing = set(Event.objects.filter(id__in=ids).values_list("id", flat=True))
    new = [r for r in rows if r[0] not in existing]
    Event.objects.bulk_create(
        [Event(id=i, type=t, ts=ts, payload=json.loads(p), received_at=at, synthetic=syn)
         for i, t, ts, p, at, syn in new],
        ignore_conflicts=True, batch_size=500)
    return {r[0] for r in new}


def _rollups_merge(tallies: dict[tuple[int, datetime.datetime], tuple[int, Tally]]) -> None:
    """Add each bucket's tally to its stored rollup, under a row lock.

    Rows are created first (ignoring conflicts) and locked in a fixed order,
    so concurrent batches touching the same buckets serialise without deadlock.
    """
    keys = sorted(tallies)
    EventRollup.objects.bulk_create(
        [EventRollup(seconds=sec, start=start, data={}) for sec, start in keys],
        ignore_conflicts=True)
    match = Q()
    for seconds in {sec for sec, _ in keys}:
        match |= Q(seconds=seconds, start__in=[start for sec, start in keys if sec == seconds])
    rows = list(EventRollup.objects.select_for_update().filter(match).order_by("seconds", "start"))
    now = timezone.now()
    for row in rows:
        count, tally = tallies[(row.seconds, row.start)]
        merged = Tally.from_json(row.data)
        merged.merge(tally)
        row.data, row.events, row.updated_at = merged.to_json(), row.events + count, now
    EventRollup.objects.bulk_update(rows, ["data", "events", "updated_at"])


def _tally_buckets(events) -> dict[tuple[int, datetime.datetime], tuple[int, Tally]]:
    """Events into finest buckets (one `add` each), then merged up into the larger ones."""
    finest: dict[datetime.datetime, list] = {}
    for event, ts in events:
        start = bucket_start(ts, FINEST)
        entry = finest.get(start)
        if entry is None:
            entry = finest[start] = [0, Tally()]
        entry[0] += 1
        entry[1].add(event, ts.timestamp())
    out: dict[tuple[int, datetime.datetime], tuple[int, Tally]] = {}
    for start, (count, tally) in finest.items():
        out[(FINEST, start)] = (count, tally)
        for seconds in RESOLUTIONS[:-1]:
            key = (seconds, bucket_start(start, seconds))
            if key not in out:
                out[key] = (0, Tally())
            n, bigger = out[key]
            bigger.merge(tally)
            out[key] = (n + count, bigger)
    return out


def events_ingest(*, events: list[tuple[dict, datetime.datetime]]) -> tuple[int, int]:
    """Store validated (event, ts) pairs not stored before; -> (accepted, duplicates)."""
    received_at = timezone.now()
    rows, by_id = [], {}
    for event, ts in events:
        if event["id"] in by_id:  # a duplicate inside the same batch
            continue
        by_id[event["id"]] = (event, ts)
        rows.append((event["id"], event["type"], ts, json.dumps(event, separators=(",", ":")),
                     received_at, event.get("synthetic") is True))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            new_ids = _insert_new_postgresql(rows)
        else:
            new_ids = _insert_new_other(rows)
        counted = [by_id[ident] for ident in new_ids
                   if by_id[ident][0].get("synthetic") is not True]
        if counted:
            _rollups_merge(_tally_buckets(counted))
            counters_add(counter_increments(event for event, _ in counted))
            positions_apply(events=counted)
    return len(new_ids), len(events) - len(new_ids)


def events_prune(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete raw events and snapshots past EVENT_RETENTION_DAYS; rollups and uptime past 31 d."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.EVENT_RETENTION_DAYS)
    # Rollups back the 24 h windows and the success metrics' 30-day ones
    # (monitoring/selectors/windows.py): never prune them inside 31 days, whatever
    # the event retention. The 10 s ones are only needed at a window's edges: two
    # days of them are plenty.
    rollup_cutoff = min(cutoff, now - datetime.timedelta(days=UPTIME_KEEP_DAYS))
    fine_cutoff = now - datetime.timedelta(days=2)
    return {
        "events": Event.objects.filter(ts__lt=cutoff).delete()[0],
        "rollups": EventRollup.objects.filter(
            Q(start__lt=rollup_cutoff) | Q(seconds=FINEST, start__lt=fine_cutoff)).delete()[0],
        "snapshots": MetricSnapshot.objects.filter(taken_at__lt=cutoff).delete()[0],
        "pings": HeartbeatPing.objects.filter(at__lt=cutoff).delete()[0],
        "uptime_samples": UptimeSample.objects.filter(
            minute__lt=now - datetime.timedelta(days=UPTIME_KEEP_DAYS)).delete()[0],
        "bot_minutes": BotMinute.objects.filter(
            minute__lt=now - datetime.timedelta(days=UPTIME_KEEP_DAYS)).delete()[0],
    }
