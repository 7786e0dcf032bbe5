"""Reads for dependency probes and API keys: what /metrics, alert rules, the checklist and
the dashboard see."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet

from monitoring.models import ApiKey, Dependency, DependencyProbe, KeyOutcome

# The checklist trusts a certificate reading only this fresh (a few minute passes).
CERT_FRESH_FOR = timedelta(minutes=10)


def dependencies_list() -> QuerySet[Dependency]:
    return Dependency.objects.all()


def api_keys_list() -> QuerySet[ApiKey]:
    return ApiKey.objects.all()


def cert_days_left(dep: Dependency, *, now: datetime) -> float | None:
    if dep.cert_expires_at is None:
        return None
    return round((dep.cert_expires_at - now).total_seconds() / 86400, 2)


def dependency_down(dep: Dependency) -> bool:
    return dep.consecutive_failures >= settings.DEPENDENCY_DOWN_AFTER_FAILURES


def probe_state_values(*, now: datetime) -> dict:
    """The keys /metrics and alert rules read: down dependencies, certificates, keys."""
    deps = list(Dependency.objects.filter(enabled=True))
    days = [d for d in (cert_days_left(dep, now=now) for dep in deps if dep.is_https)
            if d is not None]
    keys = list(ApiKey.objects.filter(enabled=True).values_list("last_outcome", flat=True))
    return {
        "dependency_down_count": sum(1 for d in deps if dependency_down(d)),
        "cert_min_days_left": min(days) if days else None,
        "certs_expiring_count": sum(1 for d in days if d < settings.CERT_EXPIRY_ALERT_DAYS),
        "api_keys_invalid_count": sum(1 for o in keys if o == KeyOutcome.INVALID),
        # Per dependency, for the dashboard's readers and Prometheus' labelled series.
        "dependencies": {d.name: {"up": None if d.last_ok is None else int(d.last_ok),
                                  "down": int(dependency_down(d)),
                                  "latency_ms": d.last_latency_ms,
                                  "cert_days_left": cert_days_left(d, now=now)}
                         for d in deps},
    }


def probe_alert_lines(*, metric_key: str, now: datetime) -> list[str]:
    """What a notification about one of the keys above names: the offenders."""
    if metric_key == "dependency_down_count":
        return [f"{d.name}: down ({d.consecutive_failures} failed probes), {d.last_reason}"
                for d in Dependency.objects.filter(enabled=True) if dependency_down(d)]
    if metric_key in ("cert_min_days_left", "certs_expiring_count"):
        return [f"{d.name}: certificate expires {d.cert_expires_at:%Y-%m-%d %H:%M} UTC "
                f"({cert_days_left(d, now=now):.1f} days)"
                for d in Dependency.objects.filter(enabled=True, cert_expires_at__isnull=False)
                if (cert_days_left(d, now=now) or 0) < settings.CERT_EXPIRY_ALERT_DAYS]
    if metric_key == "api_keys_invalid_count":
        return [f"{k.name} ({k.provider}): {k.last_reason}"
                for k in ApiKey.objects.filter(enabled=True, last_outcome=KeyOutcome.INVALID)]
    return []


@dataclass
class Verdict:
    ok: bool
    detail: str


def certificates_verdict(*, now: datetime) -> Verdict:
    """Every enabled https dependency has a fresh reading valid for more than
    CERT_EXPIRY_ALERT_DAYS; the detail names each offender."""
    deps = [d for d in Dependency.objects.filter(enabled=True) if d.is_https]
    if not deps:
        return Verdict(False, "no https dependency registered")
    limit = settings.CERT_EXPIRY_ALERT_DAYS
    bad, good = [], []
    for d in deps:
        days = cert_days_left(d, now=now)
        if d.cert_checked_at is None or d.cert_checked_at < now - CERT_FRESH_FOR:
            when = ("no certificate read yet" if d.cert_checked_at is None else
                    f"no certificate reading in the last "
                    f"{int(CERT_FRESH_FOR.total_seconds() // 60)} min")
            bad.append(f"{d.name}: {when}" + (f" ({d.last_reason})" if d.last_reason else ""))
        elif days is None or days <= limit:
            bad.append(f"{d.name}: {'expired' if (days or 0) < 0 else 'expires'} "
                       f"{d.cert_expires_at:%Y-%m-%d} ({days:.1f} days)")
        elif d.last_reason.startswith("TLS"):
            bad.append(f"{d.name}: {d.last_reason}")
        else:
            good.append(f"{d.name} {days:.0f} d")
    if bad:
        return Verdict(False, "; ".join(bad))
    return Verdict(True, f"{len(good)} https certificates valid > {limit} days: "
                       + ", ".join(good))


def api_keys_verdict(*, now: datetime) -> Verdict:
    """Every enabled key succeeded within the last hour."""
    keys = list(ApiKey.objects.filter(enabled=True))
    if not keys:
        return Verdict(False, "no API key registered (admin → API keys)")
    window = now - timedelta(hours=1)
    bad = [f"{k.name} ({k.provider}): "
           + (f"{k.get_last_outcome_display()}, {k.last_reason}" if k.last_outcome
              and k.last_outcome != KeyOutcome.VALID else
              "never checked" if k.last_checked_at is None else "no success in the last hour")
           for k in keys if k.last_success_at is None or k.last_success_at < window]
    if bad:
        return Verdict(False, "; ".join(bad))
    return Verdict(True, f"{len(keys)} keys valid within the last hour: "
                       + ", ".join(f"{k.name} ({k.provider})" for k in keys))


def dependency_dashboard(*, now: datetime, hours: int = 24, bucket_minutes: int = 30
                         ) -> tuple[list[dict], list[datetime]]:
    """Each dependency's state (with a traffic-light colour) and its mean probe latency
    per bucket over the last `hours` (None: no probe with a latency); -> (rows, bucket
    starts). One query for the probes of every dependency."""
    start = now - timedelta(hours=hours)
    n = hours * 60 // bucket_minutes
    deps = list(Dependency.objects.all())
    sums = {d.pk: [0.0] * n for d in deps}
    counts = {d.pk: [0] * n for d in deps}
    rows = DependencyProbe.objects.filter(at__gt=start, at__lte=now,
                                          latency_ms__isnull=False) \
        .values_list("dependency_id", "at", "latency_ms")
    for dep_id, at, latency in rows.iterator(chunk_size=2000):
        i = min(int((at - start).total_seconds() // (bucket_minutes * 60)), n - 1)
        sums[dep_id][i] += latency or 0.0
        counts[dep_id][i] += 1
    out = []
    for d in deps:
        color = ("none" if not d.enabled or d.last_ok is None else "green" if d.last_ok
                 else "red" if dependency_down(d) else "amber")
        out.append({"row": d, "color": color, "days_left": cert_days_left(d, now=now),
                    "latency": [round(s / c, 1) if c else None
                                for s, c in zip(sums[d.pk], counts[d.pk], strict=True)]})
    return out, [start + timedelta(minutes=bucket_minutes * i) for i in range(n)]
