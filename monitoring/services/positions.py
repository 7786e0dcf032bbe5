"""Positions from position_* events, applied at ingestion in `ts` order."""

import datetime
from decimal import Decimal

from django.utils import timezone

from monitoring.models import Position
from monitoring.services.event_schema import POSITION_TYPES


def _newer(current: datetime.datetime | None, ts: datetime.datetime) -> bool:
    return current is None or ts >= current


def _apply(position: Position, event: dict, ts: datetime.datetime) -> None:
    kind = event["type"]
    if kind == "position_open":
        # A re-sent open (a new id, a later ts) never restarts the TP/SL grace period.
        if position.opened_at is None or ts < position.opened_at:
            position.opened_at = ts
        position.token = event["token"]
        position.size_sol, position.demo = Decimal(event["size_sol"]), event.get("demo") is True
    if kind in ("position_open", "position_update") and _newer(position.tpsl_at, ts):
        position.take_profit_pct = event.get("take_profit_pct")
        position.stop_loss_pct = event.get("stop_loss_pct")
        position.tpsl_at = ts
    if kind == "position_close" and _newer(position.closed_at, ts):
        position.closed_at, position.pnl_sol = ts, Decimal(event["pnl_sol"])
        position.close_reason = event["reason"]


def positions_apply(*, events: list[tuple[dict, datetime.datetime]]) -> int:
    """Apply the newly stored, non-synthetic position events; -> positions touched.

    Called inside the ingestion transaction. Rows are created first (ignoring
    conflicts) and locked in id order, so concurrent batches about the same
    positions serialise without deadlock, like the rollups.
    """
    mine = sorted(((e, ts) for e, ts in events if e["type"] in POSITION_TYPES),
                  key=lambda pair: pair[1])
    if not mine:
        return 0
    ids = sorted({e["position_id"] for e, _ in mine})
    Position.objects.bulk_create([Position(position_id=i) for i in ids], ignore_conflicts=True)
    rows = {p.position_id: p for p in
            Position.objects.select_for_update().filter(position_id__in=ids)
            .order_by("position_id")}
    now = timezone.now()
    for event, ts in mine:
        _apply(rows[event["position_id"]], event, ts)
    for position in rows.values():
        position.updated_at = now  # bulk_update skips auto_now
    Position.objects.bulk_update(
        list(rows.values()),
        ["token", "size_sol", "demo", "opened_at", "take_profit_pct", "stop_loss_pct",
         "tpsl_at", "closed_at", "pnl_sol", "close_reason", "updated_at"])
    return len(rows)
