"""RPC endpoints: getHealth probes, failover to a backup and a patient failback."""

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from monitoring.models import RpcEndpoint, RpcProbe, RpcSwitch
from monitoring.selectors.rpc import rpc_active, rpc_active_down, rpc_state_values  # noqa: F401

GET_HEALTH = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getHealth"}).encode()


def rpc_endpoint_create(*, name: str, url: str, priority: int = 0) -> RpcEndpoint:
    """Add an endpoint; the first one added becomes active."""
    endpoint = RpcEndpoint(name=name, url=url, priority=priority)
    endpoint.full_clean()
    with transaction.atomic():
        endpoint.save()
        if not RpcEndpoint.objects.filter(is_active=True).exists():
            _switch(to=endpoint, at=None, reason="first endpoint")
    return endpoint


def _get_health(url: str) -> tuple[bool, float, str]:
    """POST getHealth; (ok, latency ms, error). ok means a 200 answering result "ok"."""
    request = urllib.request.Request(url, data=GET_HEALTH, method="POST",
                                     headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=settings.OUTBOUND_TIMEOUT_SECONDS) as r:
            body = json.loads(r.read(65536) or b"null")
        error = "" if isinstance(body, dict) and body.get("result") == "ok" else (
            f"unhealthy answer: {json.dumps(body)[:200]}")
    except urllib.error.HTTPError as exc:
        error = f"HTTP {exc.code}"
    except urllib.error.URLError as exc:  # refused, DNS
        error = f"unreachable: {exc.reason}"[:300]
    except (OSError, ValueError) as exc:  # timeout, bad JSON
        error = f"{type(exc).__name__}: {exc}"[:300]
    return not error, round((time.perf_counter() - started) * 1000, 1), error


def _probe_record(*, endpoint: RpcEndpoint, now: datetime,
                  result: tuple[bool, float, str]) -> RpcProbe:
    ok, latency, error = result
    probe = RpcProbe.objects.create(endpoint=endpoint, at=now, ok=ok, latency_ms=latency,
                                    error=error)
    if ok:
        endpoint.consecutive_failures = 0
        endpoint.healthy_since = endpoint.healthy_since or now
    else:
        endpoint.consecutive_failures += 1
        endpoint.healthy_since = None
    endpoint.last_probe_at, endpoint.last_latency_ms = now, latency
    endpoint.save(update_fields=["consecutive_failures", "healthy_since", "last_probe_at",
                                 "last_latency_ms"])
    return probe


def rpc_endpoint_probe(*, endpoint: RpcEndpoint, now: datetime) -> RpcProbe:
    """Probe one endpoint and update its streaks (consecutive failures, healthy since)."""
    return _probe_record(endpoint=endpoint, now=now, result=_get_health(endpoint.url))


def rpc_endpoints_probe(*, now: datetime) -> list[RpcProbe]:
    """Probe every enabled endpoint at once, then fail back if the primary earned it.

    The HTTP calls run in parallel threads (no database work there), so one hung
    endpoint costs the minute loop one timeout, not one per endpoint.
    """
    endpoints = list(RpcEndpoint.objects.filter(enabled=True))
    if not endpoints:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(endpoints))) as pool:
        results = list(pool.map(lambda e: _get_health(e.url), endpoints))
    probes = [_probe_record(endpoint=e, now=now, result=r)
              for e, r in zip(endpoints, results, strict=True)]
    rpc_failback(now=now)
    return probes


def _switch(*, to: RpcEndpoint, at: datetime | None, reason: str) -> RpcSwitch:
    at = at or timezone.now()
    current = RpcEndpoint.objects.select_for_update().filter(is_active=True).first()
    if current:
        RpcEndpoint.objects.filter(pk=current.pk).update(is_active=False)
    RpcEndpoint.objects.filter(pk=to.pk).update(is_active=True, active_since=at)
    to.is_active, to.active_since = True, at
    return RpcSwitch.objects.create(at=at, from_endpoint=current, to_endpoint=to, reason=reason)


def rpc_failover(*, now: datetime) -> RpcSwitch | None:
    """Make the healthiest backup active when the active endpoint is down; None if not.

    Healthiest: healthy in its last probe, then lowest priority number, then lowest
    latency. Done under a row lock so two evaluators never switch twice.
    """
    with transaction.atomic():
        active = RpcEndpoint.objects.select_for_update().filter(is_active=True).first()
        if active is not None and not rpc_active_down(active):
            return None
        others = RpcEndpoint.objects.filter(enabled=True)
        if active is not None:
            others = others.exclude(pk=active.pk)
        candidates = [e for e in others if e.healthy]
        if not candidates:
            return None
        best = min(candidates, key=lambda e: (
            e.priority, e.last_latency_ms if e.last_latency_ms is not None else 1e9))
        what = f"{active.name} down ({active.consecutive_failures} failed probes in a row)" \
            if active else "no active endpoint"
        return _switch(to=best, at=now, reason=f"failover: {what}")


def rpc_failback(*, now: datetime) -> RpcSwitch | None:
    """Return to a higher-priority endpoint once it has stayed healthy long enough."""
    settle = timedelta(seconds=settings.RPC_FAILBACK_AFTER_SECONDS)
    with transaction.atomic():
        active = RpcEndpoint.objects.select_for_update().filter(is_active=True).first()
        if active is None:
            return None
        better = RpcEndpoint.objects.filter(
            enabled=True, priority__lt=active.priority, healthy_since__lte=now - settle,
        ).order_by("priority", "last_latency_ms").first()
        if better is None:
            return None
        return _switch(to=better, at=now, reason=(
            f"failback: {better.name} healthy since {better.healthy_since:%H:%M:%S}"))
