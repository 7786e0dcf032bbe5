"""The V1 Success Metrics (first 30 days): computed where the portal measures them."""

import operator
from datetime import timedelta

from django.db.models import Prefetch
from django.utils import timezone

from checklist import sources
from checklist.models import SuccessMetric, SuccessMetricEntry

COMPARE = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
           "eq": operator.eq}


def _error_budget_left(metric: SuccessMetric, value: float) -> float | None:
    """Share of the error budget left (1.0 untouched, 0 spent, negative overspent)."""
    if not metric.has_error_budget or metric.target is None:
        return None
    if metric.comparator in ("ge", "gt"):  # e.g. uptime ≥ 99.9 %: budget 0.1 % downtime
        allowed, used = 1.0 - metric.target, 1.0 - value
    else:  # e.g. error rate < 1 %: the budget is the 1 %
        allowed, used = metric.target, value
    if allowed <= 0:
        return None
    return round((allowed - used) / allowed, 4)


def _head(scans: dict) -> tuple:
    if "head" not in scans:
        scans["head"] = sources.bot_head()
    return scans["head"]


def _measured(metric: SuccessMetric, metrics: dict | None, *, now, scans: dict
              ) -> tuple[float | None, str]:
    if metric.source.startswith("metrics:"):
        key = metric.source.split(":", 1)[1]
        if metrics is None:  # read /metrics once, and only when an objective uses it
            metrics = scans.setdefault("metrics", sources.metrics_now())
        value = sources.metric_value(metrics, key)
        if value is None:
            return None, f"/metrics {key}: no data"
        return float(value), f"/metrics {key}"
    if metric.source.startswith("scan:"):
        if "scan" not in scans:  # one scan read (and one git call) per evaluation
            scans["scan"] = sources.bot_repo_scan(now=now, head=_head(scans))
        return _scanned(metric.source.split(":", 1)[1], scans["scan"])
    if metric.source.startswith("window30:"):
        if "window" not in scans:  # one 30-day tally per evaluation
            scans["window"] = sources.success_metrics_window(now=now)
        return _windowed(metric.source.split(":", 1)[1], scans["window"])
    if metric.source == "ci:coverage":
        report, freshness, label = sources.ci_evidence("coverage", now=now, head=_head(scans))
        if report is None or freshness is None:
            return None, label
        if not freshness.fresh:
            return None, f"{label}, stale: {freshness.reason}"
        return report.line_rate, label
    return None, ""


# For each 30-day number: the key of the sample it is computed from, and what that is.
WINDOW_SAMPLES = {
    "uptime": ("uptime_minutes", "minutes of the bot's signals"),
    "trade_error_rate": ("trades", "trades"),
    "confirmation_p95_ms": ("confirmation_samples", "confirmed trades"),
    "demo_success_rate": ("demo_trades", "/demo trades"),
    "vibe_p95_ms": ("vibe_samples", "/vibe commands"),
    "bags_share": ("trades", "trades"),
}


def _windowed(key: str, window: dict) -> tuple[float | None, str]:
    """A number of the rolling 30-day window, labelled with its sample and how much of
    the 30 days holds data ("data since ..." while the bot is younger than that)."""
    sample_key, what = WINDOW_SAMPLES[key]
    since = window["uptime_data_since"] if key == "uptime" else window["data_since"]
    label = f"last {window['days']} days: {window[sample_key]} {what}"
    if since is not None and since > window["start"]:
        days = (window["start"] + timedelta(days=window["days"]) - since).total_seconds() / 86400
        label += f", data since {since:%Y-%m-%d %H:%M} UTC ({days:.1f} of {window['days']} days)"
    value = window[key]
    if value is None:
        return None, f"{label}: no data"
    return float(value), label


def _scanned(field: str, current: tuple) -> tuple[float | None, str]:
    """A number of the newest scan of the bot's repository, while it is fresh."""
    scan, freshness, label = current
    if scan is None:
        return None, label
    if not freshness.fresh:
        return None, f"{label}, stale: {freshness.reason}"
    value = getattr(scan, field)
    return float(len(value) if isinstance(value, list | dict) else value), label


def success_metrics_evaluate(*, metrics: dict | None = None, now=None) -> list[dict]:
    """Every objective with current value, target, met (None: unknown) and error budget left."""
    now = now or timezone.now()
    scans: dict = {}
    latest = Prefetch("entries", queryset=SuccessMetricEntry.objects.select_related("entered_by"))
    rows = []
    for metric in SuccessMetric.objects.prefetch_related(latest):
        value, source = _measured(metric, metrics, now=now, scans=scans)
        entry = metric.entries.all()[0] if metric.entries.all() else None
        # A number the portal measures is never replaced by a hand-typed one: silence or
        # stale evidence stays "no data", so it cannot be forged into a pass.
        if value is None and entry is not None and not metric.source:
            value = entry.value
            source = (f"entered by {entry.entered_by.get_username()} at "
                      f"{entry.entered_at:%Y-%m-%d %H:%M}: {entry.source}")
        met = (COMPARE[metric.comparator](value, metric.target)
               if value is not None and metric.target is not None else None)
        rows.append({
            "key": metric.key, "group": metric.group, "text": metric.text,
            "value": value, "unit": metric.unit,
            "target": f"{metric.get_comparator_display()} {metric.target:g}",
            "met": met,
            "source": source or ("no data: enter it by hand" if not metric.source
                                 else "no data"),
            "error_budget_left": _error_budget_left(metric, value) if value is not None
            else None,
            "metric": metric,
        })
    return rows


def success_metric_enter(*, metric: SuccessMetric, value: float, source: str, user,
                         now=None) -> SuccessMetricEntry:
    """Record a hand-entered value with its source, who and when."""
    return success_metric_entry_record(
        entry=SuccessMetricEntry(metric=metric, value=value, source=source), user=user, now=now)


def success_metric_entry_record(*, entry: SuccessMetricEntry, user,
                                now=None) -> SuccessMetricEntry:
    """Save a new entry (its metric, value and source set) as entered by `user` now."""
    entry.entered_by = user
    entry.entered_at = now or timezone.now()
    entry.full_clean()
    entry.save()
    return entry
