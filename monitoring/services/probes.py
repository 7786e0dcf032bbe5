"""Dependency probes (status, JSON condition, latency budget, TLS certificate expiry) and
API-key checks (issue 18).

Network work runs in parallel threads that touch no database; the pass waits for them
up to PROBE_DEADLINE_SECONDS in all, so one hung endpoint never stalls the minute loop.
Each row is claimed with a conditional UPDATE first, so two passes running at once
probe it once.
"""

import json
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from cryptography import x509
from django.conf import settings
from django.db.models import Q

from monitoring.models import ApiKey, ApiKeyCheck, Dependency, DependencyProbe, KeyOutcome
from monitoring.models.probes import Provider

GET_HEALTH = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getHealth"}).encode()
USER_AGENT = "opsportal-probe/1"
T = TypeVar("T")
KeyResult = tuple[str, int | None, float | None, str]


@dataclass
class Outcome:
    ok: bool
    status_code: int | None = None
    latency_ms: float | None = None
    reason: str = ""
    cert_expires_at: datetime | None = None


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:300]


def _ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.PROBE_CA_BUNDLE or None)


def certificate_not_after(url: str, *, timeout: float) -> datetime:
    """The notAfter of the certificate `url`'s server presents, trusted or not.

    A handshake with verification off: an expired or self-signed certificate still
    tells how many days it has (negative when expired), not just "handshake failed".
    """
    parts = urllib.parse.urlsplit(url)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((parts.hostname, parts.port or 443), timeout=timeout) as raw, \
            context.wrap_socket(raw, server_hostname=parts.hostname) as tls:
        der = tls.getpeercert(binary_form=True)
    if not der:
        raise ssl.SSLError("the server sent no certificate")
    return x509.load_der_x509_certificate(der).not_valid_after_utc


def condition_holds(condition: dict, body: Any) -> tuple[bool, str]:
    """Apply a validated {"path", <test>} condition to a decoded JSON body."""
    value: Any = body
    found = True
    for part in condition["path"].split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            found = False
            break
    shown = json.dumps(value)[:80] if found else "missing"
    if "exists" in condition:
        return found == condition["exists"], f"{condition['path']} {shown}"
    if "equals" in condition:
        ok = found and value == condition["equals"]
        return ok, f"{condition['path']} is {shown}, expected {json.dumps(condition['equals'])}"
    if "not_equals" in condition:
        ok = found and value != condition["not_equals"]
        return ok, f"{condition['path']} is {shown}"
    ok = found and value in condition["in"]
    return ok, f"{condition['path']} is {shown}, expected one of {json.dumps(condition['in'])}"


def _reason_of(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        inner = exc.reason
        if isinstance(inner, ssl.SSLCertVerificationError):
            return f"TLS: {inner.verify_message or inner}"
        return f"unreachable: {inner}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class Target:
    """What a thread needs to probe one dependency (no model instance crosses threads)."""

    url: str
    kind: str
    expected_status: int
    json_condition: dict
    latency_budget_ms: int


def probe_target(target: Target) -> Outcome:
    """One probe: the request (verified TLS), its status, condition and latency, then
    the certificate's expiry for https."""
    timeout = settings.OUTBOUND_TIMEOUT_SECONDS
    rpc = target.kind == Provider.SOLANA_RPC
    request = urllib.request.Request(
        target.url, data=GET_HEALTH if rpc else None, method="POST" if rpc else "GET",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT})
    condition = target.json_condition or ({"path": "result", "equals": "ok"} if rpc else {})
    outcome = Outcome(ok=False)
    started = time.perf_counter()
    body: bytes = b""
    try:
        https = target.url.lower().startswith("https://")
        with urllib.request.urlopen(request, timeout=timeout,
                                    context=_ssl_context() if https else None) as response:
            outcome.status_code, body = response.status, response.read(65536)
    except urllib.error.HTTPError as exc:
        outcome.status_code, body = exc.code, exc.read(65536) if exc.fp else b""
    except (OSError, ValueError) as exc:
        outcome.reason = _reason_of(exc)
    outcome.latency_ms = round((time.perf_counter() - started) * 1000, 1)
    if outcome.status_code is not None:
        outcome.ok, outcome.reason = _judge(target, condition, outcome, body)
    if target.url.lower().startswith("https://"):
        try:
            outcome.cert_expires_at = certificate_not_after(target.url, timeout=timeout)
        except (OSError, ValueError) as exc:
            outcome.reason = outcome.reason or f"certificate unreadable: {exc}"
    outcome.reason = _one_line(outcome.reason)
    return outcome


def _judge(target: Target, condition: dict, outcome: Outcome, body: bytes) -> tuple[bool, str]:
    if outcome.status_code != target.expected_status:
        return False, f"HTTP {outcome.status_code}, expected {target.expected_status}"
    if condition:
        try:
            decoded = json.loads(body or b"null")
        except ValueError:
            return False, "the answer is not JSON"
        holds, why = condition_holds(condition, decoded)
        if not holds:
            return False, f"condition failed: {why}"
    if outcome.latency_ms is not None and outcome.latency_ms > target.latency_budget_ms:
        return False, f"slow: {outcome.latency_ms:.0f} ms > budget {target.latency_budget_ms} ms"
    return True, ""


def run_parallel(jobs: list[Callable[[], T]], *, deadline: float,
                 on_error: Callable[[BaseException], T]) -> list[T | None]:
    """Run every job in its own thread; None for a job still running at the deadline
    (its thread ends by its own socket timeout, after the pass moved on)."""
    if not jobs:
        return []
    pool = ThreadPoolExecutor(max_workers=min(16, len(jobs)), thread_name_prefix="probe")
    futures = [pool.submit(job) for job in jobs]
    wait(futures, timeout=deadline)
    pool.shutdown(wait=False, cancel_futures=True)
    results: list[T | None] = []
    for future in futures:
        if not future.done() or future.cancelled():
            results.append(None)
        else:
            exc = future.exception()
            results.append(on_error(exc) if exc is not None else future.result())
    return results


def _claim(model, *, pk: int, field: str, now: datetime, every: timedelta) -> bool:
    """Take row `pk` for this pass unless another took it within `every` (minus slack)."""
    cutoff = now - every + timedelta(seconds=5)
    free = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": cutoff})
    return bool(model.objects.filter(free, pk=pk).update(**{field: now}))


def _target(dep: Dependency) -> Target:
    return Target(url=dep.url, kind=dep.kind, expected_status=dep.expected_status,
                  json_condition=dep.json_condition or {},
                  latency_budget_ms=dep.latency_budget_ms)


def _record(dep: Dependency, now: datetime, outcome: Outcome | None) -> DependencyProbe:
    if outcome is None:
        outcome = Outcome(ok=False, reason=f"no answer within the pass's "
                                           f"{settings.PROBE_DEADLINE_SECONDS:g} s deadline")
    days = None
    if outcome.cert_expires_at is not None:
        days = round((outcome.cert_expires_at - now).total_seconds() / 86400, 2)
        if days < 0 and outcome.reason.startswith("TLS"):
            outcome.reason = _one_line(f"{outcome.reason} (expired {-days:.1f} days ago)")
    probe = DependencyProbe.objects.create(
        dependency=dep, at=now, ok=outcome.ok, status_code=outcome.status_code,
        latency_ms=outcome.latency_ms, reason=outcome.reason,
        cert_expires_at=outcome.cert_expires_at, cert_days_left=days)
    Dependency.objects.filter(pk=dep.pk).update(
        last_probe_at=now, last_ok=outcome.ok, last_status_code=outcome.status_code,
        last_latency_ms=outcome.latency_ms, last_reason=outcome.reason,
        consecutive_failures=0 if outcome.ok else dep.consecutive_failures + 1,
        **({"cert_expires_at": outcome.cert_expires_at, "cert_checked_at": now}
           if outcome.cert_expires_at is not None else {}))
    return probe


def dependencies_probe(*, now: datetime, force: bool = False,
                       dependencies: list[Dependency] | None = None) -> list[DependencyProbe]:
    """Probe every enabled dependency not already probed this minute; record the rows."""
    candidates = dependencies if dependencies is not None else list(
        Dependency.objects.filter(enabled=True))
    claimed = [d for d in candidates
               if force or _claim(Dependency, pk=d.pk, field="probe_claimed_at", now=now,
                                  every=timedelta(minutes=1))]
    outcomes = run_parallel(
        [partial(probe_target, _target(d)) for d in claimed],
        deadline=settings.PROBE_DEADLINE_SECONDS,
        on_error=lambda exc: Outcome(ok=False, reason=_one_line(_reason_of(exc))))
    probes = [_record(d, now, o) for d, o in zip(claimed, outcomes, strict=True)]
    dependency_probes_prune(now=now)
    return probes


def dependency_probes_prune(*, now: datetime) -> int:
    """Probe rows older than DEPENDENCY_PROBE_RETENTION_DAYS go (the row keeps the latest)."""
    cutoff = now - timedelta(days=settings.DEPENDENCY_PROBE_RETENTION_DAYS)
    deleted, _ = DependencyProbe.objects.filter(at__lt=cutoff).delete()
    old_checks = now - timedelta(days=max(settings.DEPENDENCY_PROBE_RETENTION_DAYS, 30))
    deleted_checks, _ = ApiKeyCheck.objects.filter(at__lt=old_checks).delete()
    return deleted + deleted_checks


def dependency_create(*, name: str, url: str, kind: str = Provider.GENERIC,
                      expected_status: int = 200, json_condition: dict | None = None,
                      latency_budget_ms: int = 2000, enabled: bool = True) -> Dependency:
    dep = Dependency(name=name, url=url, kind=kind, expected_status=expected_status,
                     json_condition=json_condition or {}, latency_budget_ms=latency_budget_ms,
                     enabled=enabled)
    dep.full_clean()
    dep.save()
    return dep


def _settings_dependencies() -> list[dict]:
    """The plan's dependencies, from the base-URL settings that are set."""
    specs = []
    for name, kind, base, path in (
            ("bags.fm API", Provider.BAGS, settings.BAGS_API_URL, settings.BAGS_HEALTH_PATH),
            ("Jupiter API", Provider.JUPITER, settings.JUPITER_API_URL,
             settings.JUPITER_HEALTH_PATH),
            ("Telegram Bot API", Provider.TELEGRAM, settings.TELEGRAM_API_URL,
             settings.TELEGRAM_HEALTH_PATH)):
        if base:
            specs.append({"name": name, "kind": kind, "url": base + path})
    if settings.SOLANA_RPC_URL:
        specs.append({"name": "Solana RPC", "kind": Provider.SOLANA_RPC,
                      "url": settings.SOLANA_RPC_URL})
    if settings.BOT_HEALTH_URL:
        specs.append({"name": "bot health", "kind": Provider.BOT_HEALTH,
                      "url": settings.BOT_HEALTH_URL})
    return specs


def dependencies_bootstrap() -> list[str]:
    """Idempotent: register the dependencies whose base URL is set, by name; an existing
    row (edited by an operator) is left as it is."""
    specs = _settings_dependencies()
    created = [s["name"] for s in specs
               if not Dependency.objects.filter(name=s["name"]).exists()
               and dependency_create(**s)]
    return [f"dependencies: {len(specs)} from settings ({len(created)} new)"]


# --- API keys -----------------------------------------------------------------

def api_key_create(*, provider: str, name: str, secret: str, enabled: bool = True) -> ApiKey:
    key = ApiKey(provider=provider, name=name, secret=secret.strip(), enabled=enabled)
    key.full_clean()
    key.save()
    return key


def _key_request(provider: str, secret: str) -> urllib.request.Request | str:
    """The provider's cheapest authenticated call, or why it cannot be made."""
    if provider == Provider.TELEGRAM:
        if not settings.TELEGRAM_API_URL:
            return "TELEGRAM_API_URL is not set"
        return urllib.request.Request(
            f"{settings.TELEGRAM_API_URL}/bot{urllib.parse.quote(secret, safe=':')}/getMe",
            headers={"User-Agent": USER_AGENT})
    base, path = {Provider.BAGS: (settings.BAGS_API_URL, settings.BAGS_KEY_CHECK_PATH),
                  Provider.JUPITER: (settings.JUPITER_API_URL,
                                     settings.JUPITER_KEY_CHECK_PATH)}[Provider(provider)]
    if not base:
        return f"{provider.upper()}_API_URL is not set"
    return urllib.request.Request(base + path, headers={"x-api-key": secret,
                                                        "User-Agent": USER_AGENT})


def _key_outcome(provider: str, secret: str) -> KeyResult:
    """(outcome, status, latency ms, reason). 401/403: invalid; other failures: unchecked."""
    request = _key_request(provider, secret)
    if isinstance(request, str):
        return KeyOutcome.UNCHECKED, None, None, request
    started = time.perf_counter()
    status, reason = None, ""
    try:
        https = request.full_url.lower().startswith("https://")
        with urllib.request.urlopen(request, timeout=settings.OUTBOUND_TIMEOUT_SECONDS,
                                    context=_ssl_context() if https else None) as response:
            status, body = response.status, response.read(65536)
        if provider == Provider.TELEGRAM and not _telegram_ok(body):
            return (KeyOutcome.UNCHECKED, status, None,
                    "getMe answered 200 without ok: true")
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        reason = _reason_of(exc).replace(secret, "***")
    latency = round((time.perf_counter() - started) * 1000, 1)
    if status in (401, 403):
        return KeyOutcome.INVALID, status, latency, f"HTTP {status}: the key was refused"
    if status is not None and 200 <= status < 300:
        return KeyOutcome.VALID, status, latency, ""
    return (KeyOutcome.UNCHECKED, status, latency,
            _one_line(reason or f"HTTP {status}: could not check"))


def _telegram_ok(body: bytes) -> bool:
    try:
        return json.loads(body).get("ok") is True
    except (ValueError, AttributeError):
        return False


def _key_record(key: ApiKey, now: datetime,
                result: KeyResult | None) -> ApiKeyCheck:
    outcome, status, latency, reason = result or (
        KeyOutcome.UNCHECKED, None, None,
        f"no answer within the pass's {settings.PROBE_DEADLINE_SECONDS:g} s deadline")
    check = ApiKeyCheck.objects.create(key=key, at=now, outcome=outcome, status_code=status,
                                       latency_ms=latency, reason=reason)
    ApiKey.objects.filter(pk=key.pk).update(
        last_checked_at=now, last_outcome=outcome, last_reason=reason,
        **({"last_success_at": now} if outcome == KeyOutcome.VALID else {}))
    return check


def api_keys_check(*, now: datetime, force: bool = False,
                   keys: list[ApiKey] | None = None) -> list[ApiKeyCheck]:
    """Try every enabled key not tried within API_KEY_CHECK_EVERY_MINUTES (all with force)."""
    candidates = keys if keys is not None else list(ApiKey.objects.filter(enabled=True))
    every = timedelta(minutes=settings.API_KEY_CHECK_EVERY_MINUTES)
    claimed = [k for k in candidates
               if force or _claim(ApiKey, pk=k.pk, field="check_claimed_at", now=now,
                                  every=every)]
    results = run_parallel(
        [partial(_key_outcome, k.provider, k.secret) for k in claimed],
        deadline=settings.PROBE_DEADLINE_SECONDS,
        on_error=lambda exc: (KeyOutcome.UNCHECKED, None, None, _one_line(_reason_of(exc))))
    return [_key_record(k, now, r) for k, r in zip(claimed, results, strict=True)]
