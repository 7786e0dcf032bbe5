"""Rollup buckets and how a metric window is covered by them.

Shared by ingestion (which bucket an event adds to) and /metrics (which
buckets and raw ranges make up a window) so the two cannot disagree.
"""

import datetime

RESOLUTIONS = (3600, 600, 60, 10)  # seconds, largest first
FINEST = RESOLUTIONS[-1]
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def bucket_start(ts: datetime.datetime, seconds: int) -> datetime.datetime:
    epoch = int((ts - _EPOCH).total_seconds() // seconds) * seconds
    return _EPOCH + datetime.timedelta(seconds=epoch)


def _ceil(ts: datetime.datetime, seconds: int) -> datetime.datetime:
    floor = bucket_start(ts, seconds)
    return floor if floor == ts else floor + datetime.timedelta(seconds=seconds)


def _cover(a, b, levels, out):
    """Whole buckets covering the aligned range [a, b), the largest possible first."""
    if a >= b or not levels:
        return
    size, rest = levels[0], levels[1:]
    lo, hi = _ceil(a, size), bucket_start(b, size)
    if lo < hi:
        out.append((size, lo, hi))
        _cover(a, lo, rest, out)
        _cover(hi, b, rest, out)
    else:
        _cover(a, b, rest, out)


def window_plan(*, start: datetime.datetime, now: datetime.datetime):
    """Cover the window (start, now] -> (bucket ranges [(seconds, from, to)], raw ranges).

    Raw ranges are (low, low_inclusive, high, high_inclusive): the cut
    finest bucket after `start` and the current one up to `now`.
    """
    first = bucket_start(start, FINEST) + datetime.timedelta(seconds=FINEST)
    current = bucket_start(now, FINEST)
    if first > current:  # a window shorter than a bucket: all raw
        return [], [(start, False, now, True)]
    buckets: list = []
    _cover(first, current, RESOLUTIONS, buckets)
    return buckets, [(start, False, first, False), (current, True, now, True)]
