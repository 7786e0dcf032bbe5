"""Hand-written validation of ingested events (the contract's event table).

Plain functions rather than a DRF serializer per event: a 1000-event batch
must validate in a few milliseconds. Each validator returns an error message
or None. Fields beyond the table are accepted and stored as sent.
"""

import datetime
import math
from decimal import Decimal, InvalidOperation

from django.conf import settings

MAX_EVENTS = 1000
MAX_BODY_BYTES = 1024 * 1024
MAX_FUTURE = datetime.timedelta(minutes=5)
_MISSING = object()


def _is_number(v) -> bool:
    return type(v) in (int, float) and math.isfinite(v)


def _bool(v):
    return None if type(v) is bool else "must be true or false"


def _int_ge0(v):
    return None if type(v) is int and v >= 0 else "must be an integer >= 0"


def _number_ge0(v):
    return None if _is_number(v) and v >= 0 else "must be a number >= 0"


def _number_ge0_or_null(v):
    return None if v is None else _number_ge0(v)


def _positive_or_null(v):
    return None if v is None or (_is_number(v) and v > 0) else "must be a number > 0 or null"


def _text(v):
    return None if type(v) is str and 0 < len(v) <= 200 else "must be a string of 1..200 chars"


def _error_text(v):
    return None if type(v) is str and len(v) <= 2000 else "must be a string of at most 2000 chars"


def _via(v):
    return None if v in ("bags", "jupiter") else 'must be "bags" or "jupiter"'


def _decimal_ge0(v):
    if type(v) is not str:
        return 'must be a decimal string such as "0.0125"'
    try:
        d = Decimal(v)
    except InvalidOperation:
        return 'must be a decimal string such as "0.0125"'
    if not d.is_finite() or d < 0 or len(v) > 40:
        return "must be a finite decimal >= 0"
    return None


def _sol(v, *, signed=False):
    """A SOL amount as a decimal string (like partner_fee_sol): at most 9 decimals, the
    lamport, so a stored amount is exactly what was sent."""
    if type(v) is not str or len(v) > 40:
        return 'must be a decimal string such as "0.25"'
    try:
        d = Decimal(v)
    except InvalidOperation:
        return 'must be a decimal string such as "0.25"'
    if not d.is_finite() or abs(d) >= 10**12:
        return "must be a finite decimal with at most 9 decimals"
    exponent = d.normalize().as_tuple().exponent  # "0.5000000000" is 9 decimals enough
    if not isinstance(exponent, int) or exponent < -9:
        return "must be a finite decimal with at most 9 decimals"
    if not signed and d <= 0:
        return "must be a decimal > 0"
    return None


def _pnl_sol(v):
    return _sol(v, signed=True)


def _close_reason(v):
    return None if type(v) is str and 0 < len(v) <= 40 else (
        "must be a string of 1..40 chars (tp, sl, manual, kill_switch, ...)")


# type -> [(field, validator, required)]
SCHEMA = {
    "trade": [("success", _bool, True), ("via", _via, True),
              ("confirmation_ms", _number_ge0, False), ("partner_fee_sol", _decimal_ge0, False),
              ("take_profit_pct", _positive_or_null, False),
              ("stop_loss_pct", _positive_or_null, False),
              ("error", _error_text, False), ("demo", _bool, False)],
    "tp_trigger": [("trade_id", _text, True)],
    "sl_trigger": [("trade_id", _text, True)],
    "rpc_status": [("endpoint", _text, True), ("ok", _bool, True),
                   ("latency_ms", _number_ge0_or_null, False)],
    "ws_status": [("connected", _bool, True)],
    "db_pool": [("in_use", _int_ge0, True), ("size", _int_ge0, True)],
    "rate_limit": [("api", _text, True), ("used", _int_ge0, True), ("limit", _int_ge0, True)],
    "command": [("name", _text, True), ("ok", _bool, True), ("duration_ms", _number_ge0, True)],
    # Positions (issue 21): the portal keeps each one's current TP/SL to guard funds.
    "position_open": [("position_id", _text, True), ("token", _text, True),
                      ("size_sol", _sol, True), ("take_profit_pct", _positive_or_null, False),
                      ("stop_loss_pct", _positive_or_null, False), ("demo", _bool, False)],
    "position_update": [("position_id", _text, True),
                        ("take_profit_pct", _positive_or_null, True),
                        ("stop_loss_pct", _positive_or_null, True)],
    "position_close": [("position_id", _text, True), ("pnl_sol", _pnl_sol, True),
                       ("reason", _close_reason, True)],
}
POSITION_TYPES = ("position_open", "position_update", "position_close")
TYPES = tuple(SCHEMA)
# Fields every type may carry. `synthetic` marks traffic that is not the bot's own
# (smoke tests, staging, the docs' examples): stored and shown, never counted.
COMMON = [("synthetic", _bool, False)]


def parse_ts(value, *, now: datetime.datetime):
    """-> (aware datetime in UTC, None) or (None, message)."""
    if type(value) is not str:
        return None, "must be an ISO 8601 timestamp string with a time zone"
    try:
        ts = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None, "must be an ISO 8601 timestamp string with a time zone"
    if ts.tzinfo is None or ts.utcoffset() is None:
        return None, "must carry a time zone (e.g. 2026-11-24T12:00:00Z)"
    ts = ts.astimezone(datetime.UTC)
    if ts > now + MAX_FUTURE:
        return None, "is more than 5 minutes in the future"
    # An event older than the retention window would be pruned on the next minute,
    # after it had moved rollups that are already final: refuse it at the door.
    retention_days = settings.EVENT_RETENTION_DAYS
    if ts < now - datetime.timedelta(days=retention_days):
        return None, f"is older than the retention window ({retention_days} days)"
    return ts, None


def event_validate(event, *, now: datetime.datetime):
    """-> (parsed ts, None) or (None, (field, message)) for one event."""
    if type(event) is not dict:
        return None, ("", "each event must be a JSON object")
    ident = event.get("id", _MISSING)
    if ident is _MISSING:
        return None, ("id", "is required")
    if type(ident) is not str or not 0 < len(ident) <= 64:
        return None, ("id", "must be a string of 1..64 chars")
    kind = event.get("type", _MISSING)
    if kind is _MISSING:
        return None, ("type", "is required")
    fields = SCHEMA.get(kind) if type(kind) is str else None
    if fields is None:
        return None, ("type", f"must be one of: {', '.join(TYPES)}")
    if "ts" not in event:
        return None, ("ts", "is required")
    ts, message = parse_ts(event["ts"], now=now)
    if message:
        return None, ("ts", message)
    for name, check, required in (*COMMON, *fields):
        value = event.get(name, _MISSING)
        if value is _MISSING:
            if required:
                return None, (name, "is required")
            continue
        message = check(value)
        if message:
            return None, (name, message)
    if kind == "trade" and event["success"] and event.get("confirmation_ms") is None:
        return None, ("confirmation_ms", "is required when success is true")
    return ts, None


def batch_validate(body, *, now: datetime.datetime):
    """-> (list of (event, ts), errors). Errors are the contract's [{index, field, message}]."""
    if type(body) is not dict or type(body.get("events")) is not list:
        return [], [{"index": None, "field": "events",
                     "message": 'body must be a JSON object {"events": [...]}'}]
    events = body["events"]
    if not events:
        return [], [{"index": None, "field": "events", "message": "must not be empty"}]
    parsed, errors = [], []
    for index, event in enumerate(events):
        ts, error = event_validate(event, now=now)
        if error:
            errors.append({"index": index, "field": error[0], "message": error[1]})
            if len(errors) >= 50:  # enough to fix a client; bounded answer size
                break
        else:
            parsed.append((event, ts))
    return parsed, errors
