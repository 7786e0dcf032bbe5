"""Building event batches for tests."""

import datetime
import itertools

from django.utils import timezone

from monitoring.services.event_schema import batch_validate
from monitoring.services.events import events_ingest

_ids = itertools.count(1)


def iso(ts: datetime.datetime) -> str:
    return ts.isoformat()


def ev(kind: str, ts: datetime.datetime | None = None, **fields) -> dict:
    ts = ts or timezone.now()
    fields.setdefault("id", f"e-{next(_ids)}")
    return {"type": kind, "ts": iso(ts), **fields}


def trade(ts=None, *, success=True, via="bags", confirmation_ms=500, **fields) -> dict:
    base = {"success": success, "via": via, "take_profit_pct": 20, "stop_loss_pct": 10}
    if success:
        base["confirmation_ms"] = confirmation_ms
    return ev("trade", ts, **(base | fields))


def ingest(events: list[dict]) -> tuple[int, int]:
    """Validate and store events through the service, as the API does."""
    if not events:
        return 0, 0
    parsed, errors = batch_validate({"events": events}, now=timezone.now())
    assert not errors, errors
    return events_ingest(events=parsed)
