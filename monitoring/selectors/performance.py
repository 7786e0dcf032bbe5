"""Reads of performance measurements: histograms over windows, baselines, ratios."""

import datetime

from django.conf import settings

from monitoring.models import Baseline, EventRollup, MeasurementRollup
from monitoring.rollups import bucket_start
from monitoring.sketch import LogHistogram

# From the bot's trade events (EventRollup's confirmation histogram).
TRADE_CONFIRMATION = "trade_confirmation_ms"


def measurement_histogram(*, measurement: str, start: datetime.datetime,
                          end: datetime.datetime, seconds: int = 60) -> LogHistogram:
    """All samples of `measurement` in buckets of `seconds` starting in [start, end)."""
    hist = LogHistogram()
    if measurement == TRADE_CONFIRMATION:
        rows = EventRollup.objects.filter(seconds=seconds, start__gte=start, start__lt=end)
        for data in rows.values_list("data", flat=True):
            hist.merge(LogHistogram.from_json(data.get("confirmation")))
        return hist
    measured = MeasurementRollup.objects.filter(measurement=measurement, seconds=seconds,
                                                start__gte=start, start__lt=end)
    for data in measured.values_list("data", flat=True):
        hist.merge(LogHistogram.from_json(data))
    return hist


def measurement_names(*, now: datetime.datetime | None = None) -> list[str]:
    """Measurements with samples in the last 24 h (or ever, without `now`) or a baseline."""
    rows = MeasurementRollup.objects.filter(seconds=3600)
    if now is not None:
        rows = rows.filter(start__gte=now - datetime.timedelta(hours=25))
    names = set(rows.values_list("measurement", flat=True).distinct())
    names |= set(Baseline.objects.filter(active=True).values_list("measurement", flat=True))
    return sorted(names | {TRADE_CONFIRMATION})


def quantiles(hist: LogHistogram) -> dict:
    return {"p50": hist.quantile(0.5), "p95": hist.quantile(0.95), "p99": hist.quantile(0.99),
            "samples": hist.count}


def current_window(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The last PERF_WINDOW_MINUTES whole minutes plus the running one."""
    end = bucket_start(now, 60) + datetime.timedelta(minutes=1)
    return end - datetime.timedelta(minutes=settings.PERF_WINDOW_MINUTES + 1), end


def _window_histograms(start: datetime.datetime, end: datetime.datetime
                       ) -> dict[str, LogHistogram]:
    """Every measurement's minute samples in [start, end), in two queries."""
    out: dict[str, LogHistogram] = {TRADE_CONFIRMATION: LogHistogram()}
    rows = MeasurementRollup.objects.filter(seconds=60, start__gte=start, start__lt=end)
    for name, data in rows.values_list("measurement", "data"):
        out.setdefault(name, LogHistogram()).merge(LogHistogram.from_json(data))
    events = EventRollup.objects.filter(seconds=60, start__gte=start, start__lt=end)
    # Only the confirmation histogram: decoding whole tallies is most of the cost.
    for data in events.values_list("data__confirmation", flat=True):
        out[TRADE_CONFIRMATION].merge(LogHistogram.from_json(data))
    return out


def performance_current(*, now: datetime.datetime) -> dict[str, dict]:
    """{measurement: {p50, p95, p99, samples, baseline_p95, ratio, threshold_pct,
    min_samples, regressed}} for every known measurement at `now` (a few queries).

    ratio = current p95 / baseline p95 (None without a baseline or samples);
    regressed only with at least min_samples samples in the current window.
    """
    start, end = current_window(now)
    baselines = {b.measurement: b for b in Baseline.objects.filter(active=True)}
    hists = _window_histograms(start, end)
    out = {}
    for name in sorted(set(measurement_names(now=now)) | set(hists)):
        cur = quantiles(hists.get(name) or LogHistogram())
        b = baselines.get(name)
        ratio = None
        if b and cur["p95"] is not None and b.p95 > 0:
            ratio = round(cur["p95"] / b.p95, 4)
        threshold = b.regression_threshold_pct if b else settings.PERF_REGRESSION_THRESHOLD_PCT
        min_samples = b.min_samples if b else settings.PERF_MIN_SAMPLES
        out[name] = {
            **cur, "baseline_p95": b.p95 if b else None, "baseline_id": b.pk if b else None,
            "baseline_version": b.version if b else None, "ratio": ratio,
            "threshold_pct": threshold, "min_samples": min_samples,
            "regressed": bool(ratio is not None and cur["samples"] >= min_samples
                              and ratio > 1 + threshold / 100),
        }
    return out


def performance_summary(*, now: datetime.datetime) -> dict[str, dict]:
    """The `performance` key of /metrics: {measurement: {p95, baseline_p95, ratio, samples}}."""
    return {name: {k: c[k] for k in ("p95", "baseline_p95", "ratio", "samples", "regressed")}
            for name, c in performance_current(now=now).items()}


def performance_alert_values(*, now: datetime.datetime) -> tuple[dict, dict]:
    """(values, sample counts) for alert rules.

    perf_p95_ratio.<measurement>: current p95 over the active baseline's, with
    the window's sample count (for a rule's min_events); perf_regressions:
    open `PerformanceRegression` rows, which already applied each baseline's
    threshold and min_samples.
    """
    from monitoring.models import PerformanceRegression

    current = performance_current(now=now)
    values: dict = {f"perf_p95_ratio.{name}": c["ratio"] for name, c in current.items()}
    samples = {f"perf_p95_ratio.{name}": c["samples"] for name, c in current.items()}
    values["perf_regressions"] = PerformanceRegression.objects.filter(
        resolved_at__isnull=True).count()
    return values, samples


def performance_metric_values(*, now: datetime.datetime) -> dict:
    return performance_alert_values(now=now)[0]


def performance_regression_lines() -> list[str]:
    """One line per open regression, for an alert notification's body."""
    from monitoring.models import PerformanceRegression

    return [f"{r.measurement}: p95 {r.current_p95:.1f} vs baseline {r.baseline_p95:.1f} "
            f"({r.baseline.version}, {r.baseline.window_start:%Y-%m-%d %H:%M}–"
            f"{r.baseline.window_end:%H:%M} UTC), ratio ×{r.ratio:.2f}, {r.samples} samples"
            for r in PerformanceRegression.objects.filter(resolved_at__isnull=True)
            .select_related("baseline").order_by("measurement")]


def performance_regressions_open():
    """Open performance regressions, by measurement."""
    from monitoring.models import PerformanceRegression

    return PerformanceRegression.objects.filter(resolved_at__isnull=True).order_by("measurement")


def performance_hourly_p95(*, measurement: str, now: datetime.datetime) -> list[dict]:
    """24 hourly points {hour, p95} ending with the current hour (None: no samples)."""
    last = bucket_start(now, 3600)
    first = last - datetime.timedelta(hours=23)
    by_hour = {}
    if measurement == TRADE_CONFIRMATION:
        rows = EventRollup.objects.filter(seconds=3600, start__gte=first, start__lte=last)
        for start, data in rows.values_list("start", "data"):
            by_hour[start] = LogHistogram.from_json(data.get("confirmation"))
    else:
        measured = MeasurementRollup.objects.filter(measurement=measurement, seconds=3600,
                                                    start__gte=first, start__lte=last)
        for start, data in measured.values_list("start", "data"):
            by_hour[start] = LogHistogram.from_json(data)
    hours = [first + datetime.timedelta(hours=i) for i in range(24)]
    return [{"hour": h, "p95": by_hour[h].quantile(0.95) if h in by_hour else None}
            for h in hours]
