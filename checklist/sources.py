"""Numbers other apps measure, read through their public selectors only."""

from monitoring.selectors import metrics_current
from monitoring.selectors.metrics import metric_lookup


def metrics_now() -> dict:
    """The /metrics JSON as a dict (rates over empty windows are None)."""
    return dict(metrics_current())


def metric_value(metrics: dict | None, dotted_key: str):
    """metrics["confirmation_ms"]["p95"] for "confirmation_ms.p95"; None when absent."""
    return metric_lookup(metrics, dotted_key)
