"""In-process accumulation of performance samples, flushed to `MeasurementRollup`.

Why in memory: a database write per request would cost more than the
request it measures. Samples go into one `LogHistogram` per (measurement,
minute) under a lock; a flush (at most every PERF_FLUSH_SECONDS per process)
merges them into the minute and hour rows. Rows are keyed by the minute a
sample was taken, so a late flush still lands in the right minute.
"""

import threading
import time

from monitoring.sketch import LogHistogram


class Recorder:
    def __init__(self):
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, int], LogHistogram] = {}
        self._last_flush = time.monotonic()

    def add(self, measurement: str, value: float, *, epoch: float | None = None) -> None:
        minute = int((time.time() if epoch is None else epoch) // 60) * 60
        with self._lock:
            hist = self._pending.get((measurement, minute))
            if hist is None:
                hist = self._pending[(measurement, minute)] = LogHistogram()
            hist.add(value)

    def due(self, *, flush_seconds: float) -> bool:
        """True when samples wait and PERF_FLUSH_SECONDS passed since the last flush."""
        return bool(self._pending) and time.monotonic() - self._last_flush >= flush_seconds

    def drain(self) -> dict[tuple[str, int], LogHistogram]:
        with self._lock:
            pending, self._pending = self._pending, {}
            self._last_flush = time.monotonic()
        return pending

    def restore(self, pending: dict[tuple[str, int], LogHistogram]) -> None:
        """Put back what a failed flush drained, so a database hiccup loses nothing."""
        with self._lock:
            for key, hist in pending.items():
                mine = self._pending.get(key)
                if mine is None:
                    self._pending[key] = hist
                else:
                    mine.merge(hist)


recorder = Recorder()
