"""Performance measurements into rollups, baselines, and the regression check (issue 9)."""

import datetime
import os

import psutil
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from monitoring.models import Baseline, MeasurementRollup, PerformanceRegression
from monitoring.perf_recorder import recorder
from monitoring.rollups import bucket_start
from monitoring.selectors.performance import measurement_histogram, performance_current, quantiles
from monitoring.sketch import LogHistogram

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
SYSTEM_MEASUREMENTS = ("process_cpu_pct", "process_rss_mb", "host_cpu_pct", "host_mem_pct")
_process = psutil.Process(os.getpid())


def measurement_rollups_merge(*, pending: dict[tuple[str, int], LogHistogram]) -> None:
    """Add per-(measurement, minute epoch) histograms into the minute and hour rows.

    Rows are created first (ignoring conflicts) and then locked, so concurrent
    flushes from several gunicorn workers add up instead of overwriting.
    """
    merged: dict[tuple[str, int, datetime.datetime], LogHistogram] = {}
    for (name, minute), hist in pending.items():
        start = _EPOCH + datetime.timedelta(seconds=minute)
        for seconds in (60, 3600):
            key = (name, seconds, bucket_start(start, seconds))
            merged.setdefault(key, LogHistogram()).merge(hist)
    with transaction.atomic():
        MeasurementRollup.objects.bulk_create(
            [MeasurementRollup(measurement=n, seconds=s, start=t) for n, s, t in merged],
            ignore_conflicts=True)
        match = Q()
        for n, s, t in merged:
            match |= Q(measurement=n, seconds=s, start=t)
        rows = list(MeasurementRollup.objects.select_for_update().filter(match)
                    .order_by("measurement", "seconds", "start"))
        for row in rows:
            hist = LogHistogram.from_json(row.data)
            hist.merge(merged[(row.measurement, row.seconds, row.start)])
            row.data, row.count = hist.to_json(), hist.count
        MeasurementRollup.objects.bulk_update(rows, ["data", "count"])


def system_sample_record(*, now: datetime.datetime) -> dict[str, float]:
    """CPU and memory of this process and the host, one sample each, flushed at once."""
    values = {
        "process_cpu_pct": _process.cpu_percent(interval=None),
        "process_rss_mb": _process.memory_info().rss / 2**20,
        "host_cpu_pct": psutil.cpu_percent(interval=None),
        "host_mem_pct": psutil.virtual_memory().percent,
    }
    epoch = (now - _EPOCH).total_seconds()
    for name, value in values.items():
        recorder.add(name, value, epoch=epoch)
    from monitoring.perf_middleware import perf_flush

    perf_flush()
    return values


def _deploy_label() -> str:
    return settings.DEPLOY_ID or settings.VERSION


class BaselineError(ValueError):
    pass


def baseline_establish(*, measurement: str, now: datetime.datetime,
                       window: datetime.timedelta = datetime.timedelta(hours=24),
                       version: str | None = None, threshold_pct: float | None = None,
                       min_samples: int | None = None) -> Baseline:
    """A new active baseline from the whole minutes of (now - window, now]; the old one
    is deactivated. Refuses an empty window: a baseline of nothing would hide regressions.
    """
    end = bucket_start(now, 60)
    start = end - window
    hist = measurement_histogram(measurement=measurement, start=start, end=end)
    if not hist.count:
        raise BaselineError(f"no samples of {measurement} between {start:%Y-%m-%d %H:%M} "
                            f"and {end:%Y-%m-%d %H:%M} UTC")
    q = quantiles(hist)
    with transaction.atomic():
        previous = Baseline.objects.select_for_update().filter(measurement=measurement,
                                                               active=True).first()
        if previous:
            previous.active = False
            previous.save(update_fields=["active"])
        return Baseline.objects.create(
            measurement=measurement, p50=q["p50"], p95=q["p95"], p99=q["p99"],
            samples=hist.count, window_start=start, window_end=end,
            version=version or _deploy_label(),
            regression_threshold_pct=_pick(
                threshold_pct, previous and previous.regression_threshold_pct,
                settings.PERF_REGRESSION_THRESHOLD_PCT),
            min_samples=_pick(min_samples, previous and previous.min_samples,
                              settings.PERF_MIN_SAMPLES))


def _pick(*choices):
    """The first choice that is set: explicit, then the previous baseline's, then settings."""
    return next(c for c in choices if c is not None and c is not False)


def baselines_establish(*, now: datetime.datetime, window: datetime.timedelta,
                        measurements: list[str]) -> tuple[list[Baseline], list[str]]:
    """Baselines for several measurements; -> (created, reasons for the ones skipped)."""
    created, skipped = [], []
    for name in measurements:
        try:
            created.append(baseline_establish(measurement=name, now=now, window=window))
        except BaselineError as exc:
            skipped.append(str(exc))
    return created, skipped


def performance_regressions_check(*, now: datetime.datetime) -> list[str]:
    """Open, update or resolve one `PerformanceRegression` per measurement; -> changes."""
    lines = []
    current = performance_current(now=now)
    open_rows = {r.measurement: r for r in
                 PerformanceRegression.objects.filter(resolved_at__isnull=True)}
    for name, c in current.items():
        row = open_rows.get(name)
        if c["regressed"]:
            fields = {"baseline_id": c["baseline_id"], "baseline_p95": c["baseline_p95"],
                      "current_p95": c["p95"], "ratio": c["ratio"], "samples": c["samples"],
                      "last_seen_at": now}
            if row is None:
                PerformanceRegression.objects.create(measurement=name, detected_at=now, **fields)
                lines.append(f"performance regression: {name} p95 {c['p95']:.1f} vs baseline "
                             f"{c['baseline_p95']:.1f} (×{c['ratio']:.2f})")
            else:
                PerformanceRegression.objects.filter(pk=row.pk).update(**fields)
        elif row is not None and (c["ratio"] is not None or c["baseline_id"] is None):
            # Too few samples is no verdict: an open regression stays open then.
            if c["baseline_id"] is None or c["samples"] >= c["min_samples"]:
                row.resolved_at = now
                row.save(update_fields=["resolved_at"])
                lines.append(f"performance regression over: {name}")
    return lines


def measurement_rollups_prune(*, now: datetime.datetime) -> int:
    """Minute rollups past PERF_MINUTE_RETENTION_DAYS, hourly ones past PERF_HOUR_RETENTION_DAYS
    (baselines keep their own numbers, so pruning never changes an active baseline)."""
    deleted = 0
    for seconds, days in ((60, settings.PERF_MINUTE_RETENTION_DAYS),
                          (3600, settings.PERF_HOUR_RETENTION_DAYS)):
        cutoff = now - datetime.timedelta(days=days)
        deleted += MeasurementRollup.objects.filter(seconds=seconds, start__lt=cutoff).delete()[0]
    return deleted


def step_performance(*, now: datetime.datetime) -> list[str]:
    """monitor_pass step: CPU/memory every pass; regressions every few minutes."""
    values = system_sample_record(now=now)
    lines = [f"performance: process cpu {values['process_cpu_pct']:.0f} %, "
             f"rss {values['process_rss_mb']:.0f} MiB"]
    every = max(settings.PERF_CHECK_EVERY_MINUTES, 1)
    if int(now.timestamp() // 60) % every == 0:
        lines.extend(performance_regressions_check(now=now))
        measurement_rollups_prune(now=now)
    return lines
