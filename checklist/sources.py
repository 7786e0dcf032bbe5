"""Numbers other apps measure, read through their public selectors only.

`monitoring.selectors.metrics.metrics_current()` (issue 3) computes the
/metrics JSON. It is developed in parallel with this app: until it is on main
the import fails and these return None, so the figures stay empty ("no data")
instead of being invented. Once it lands this wires itself; drop the guard then.
"""

try:  # pragma: no cover - which branch runs depends on what is merged
    from monitoring.selectors.metrics import metrics_current as _metrics_current
except ImportError:  # issue 3 not merged yet
    _metrics_current = None


def metrics_available() -> bool:
    return _metrics_current is not None


def metrics_now() -> dict | None:
    """The /metrics JSON as a dict, or None while the metrics selector is not installed."""
    if _metrics_current is None:
        return None
    return dict(_metrics_current())


def metric_value(metrics: dict | None, dotted_key: str):
    """metrics["confirmation_ms"]["p95"] for "confirmation_ms.p95"; None when absent."""
    value = metrics
    for part in dotted_key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value
