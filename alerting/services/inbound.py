"""Alerts from outside: Alertmanager's webhook (version 4) and a generic JSON webhook.

Both are parsed here into one shape and handed to `alerts.inbound_alert_apply`, so an
inbound alert lives the same life as a rule's own (dedup, silences, suppression,
notifications, escalation, incidents, history). A payload is checked whole before
anything is applied: a bad one is a 400 naming the field, and nothing is stored.
"""

import hashlib
import hmac
import json
import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from alerting.models import AlertRule, RuleSource, Severity
from alerting.services.alerts import inbound_alert_apply

MAX_ALERTS = 1000
TOKEN_PREFIX_LEN = 12
# A sender's severity words, to the portal's three.
SEVERITIES = {"page": Severity.PAGE, "critical": Severity.PAGE, "crit": Severity.PAGE,
              "error": Severity.PAGE, "emergency": Severity.PAGE, "high": Severity.PAGE,
              "warning": Severity.WARNING, "warn": Severity.WARNING, "medium": Severity.WARNING,
              "info": Severity.INFO, "informational": Severity.INFO, "low": Severity.INFO,
              "none": Severity.INFO}
# Alertmanager's "not set" time.
_ZERO_TIME = "0001-01-01T00:00:00Z"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def integration_token_rotate(*, rule: AlertRule) -> str:
    """A new URL token for an inbound integration (shown once; only its hash is kept)."""
    if not rule.is_inbound:
        raise ValidationError("only an inbound integration has a URL token")
    token = "in_" + secrets.token_urlsafe(32)
    AlertRule.objects.filter(pk=rule.pk).update(inbound_token_prefix=token[:TOKEN_PREFIX_LEN],
                                                inbound_token_hash=_hash(token))
    return token


def integration_by_token(*, token: str, source: str) -> AlertRule | None:
    """The enabled integration of `source` whose URL token this is; None otherwise."""
    if len(token) < TOKEN_PREFIX_LEN + 8:
        return None
    digest = _hash(token)
    for rule in AlertRule.objects.filter(inbound_token_prefix=token[:TOKEN_PREFIX_LEN],
                                         source=source, enabled=True):
        if hmac.compare_digest(rule.inbound_token_hash, digest):
            return rule
    return None


def integration_default(*, source: str, name: str = "") -> AlertRule | None:
    """The integration a bearer-token call means: `name`, or the first enabled of `source`."""
    qs = AlertRule.objects.filter(source=source, enabled=True)
    return (qs.filter(name=name) if name else qs.order_by("pk")).first()


def integrations_bootstrap() -> list[str]:
    """Idempotent: one Alertmanager and one generic webhook integration."""
    created = 0
    with transaction.atomic():
        for name, source in (("Alertmanager", RuleSource.ALERTMANAGER),
                             ("Inbound webhook", RuleSource.WEBHOOK)):
            if not AlertRule.objects.filter(source=source).exists():
                AlertRule.objects.create(
                    name=name, source=source, operator=">", threshold=0,
                    severity=Severity.WARNING, actions=["notify"],
                    runbook_url="/docs/alerting/#inbound-alerts")
                created += 1
    return [f"inbound alert integrations: 2 ({created} new)"]


def _time(value, field: str) -> datetime | None:
    if value in (None, "", _ZERO_TIME):
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None or timezone.is_naive(parsed):
        raise ValidationError({field: f"{value!r} is not an ISO 8601 time with a time zone"})
    return parsed


def _strings(value, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValidationError({field: "must be an object of string values"})
    return value


def _severity(value) -> str:
    if value in (None, ""):
        return ""  # the integration's own
    word = str(value).strip().lower()
    if word not in SEVERITIES:
        raise ValidationError({"severity": f"unknown severity {value!r}; use one of "
                                           f"{', '.join(sorted(SEVERITIES))}"})
    return SEVERITIES[word]


def _status(value, field: str) -> str:
    if value not in ("firing", "resolved"):
        raise ValidationError({field: "must be 'firing' or 'resolved'"})
    return value


def alertmanager_parse(payload) -> list[dict]:
    """Alertmanager's webhook body (version 4) -> the alerts in the portal's shape."""
    if not isinstance(payload, dict):
        raise ValidationError("the body must be Alertmanager's webhook JSON object")
    if str(payload.get("version")) != "4":
        raise ValidationError({"version": "only Alertmanager's webhook version 4 is known"})
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise ValidationError({"alerts": "must be a non-empty list"})
    if len(alerts) > MAX_ALERTS:
        raise ValidationError({"alerts": f"at most {MAX_ALERTS} alerts per call"})
    external = str(payload.get("externalURL") or "")[:500]
    out = []
    for n, a in enumerate(alerts):
        where = f"alerts[{n}]"
        if not isinstance(a, dict):
            raise ValidationError({where: "must be an object"})
        labels = _strings(a.get("labels"), f"{where}.labels")
        annotations = _strings(a.get("annotations"), f"{where}.annotations")
        status = _status(a.get("status"), f"{where}.status")
        fingerprint = a.get("fingerprint") or hashlib.sha256(
            json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
        if not isinstance(fingerprint, str) or len(fingerprint) > 64:
            raise ValidationError({f"{where}.fingerprint": "must be a string of at most 64"})
        title = labels.get("alertname") or annotations.get("summary") or "alert"
        if annotations.get("summary") and annotations["summary"] != title:
            title = f"{title}: {annotations['summary']}"
        out.append({
            "fingerprint": fingerprint, "status": status, "title": title[:300],
            "labels": labels, "annotations": annotations,
            "severity": _severity(labels.get("severity")),
            "external_url": str(a.get("generatorURL") or external)[:500],
            "starts_at": _time(a.get("startsAt"), f"{where}.startsAt"),
            # A firing alert's endsAt is Prometheus's resend horizon, not an end: the
            # resolve arrives as its own notification, so only a resolved one keeps it.
            "ends_at": (_time(a.get("endsAt"), f"{where}.endsAt")
                        if status == "resolved" else None),
        })
    return out


def webhook_parse(payload) -> list[dict]:
    """The generic webhook: {"title", "severity", "status", "fingerprint", "labels",
    "description", "url", "ends_at"}, or {"alerts": [those]}."""
    if not isinstance(payload, dict):
        raise ValidationError("the body must be a JSON object")
    items = payload["alerts"] if "alerts" in payload else [payload]
    if not isinstance(items, list) or not items:
        raise ValidationError({"alerts": "must be a non-empty list"})
    if len(items) > MAX_ALERTS:
        raise ValidationError({"alerts": f"at most {MAX_ALERTS} alerts per call"})
    out = []
    for n, a in enumerate(items):
        where = f"alerts[{n}]." if len(items) > 1 or "alerts" in payload else ""
        if not isinstance(a, dict):
            raise ValidationError("each alert must be a JSON object")
        title = a.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > 300:
            raise ValidationError({f"{where}title": "a title of 1 to 300 characters"})
        fingerprint = a.get("fingerprint") or hashlib.sha256(title.encode()).hexdigest()[:16]
        if not isinstance(fingerprint, str) or len(fingerprint) > 64:
            raise ValidationError({f"{where}fingerprint": "must be a string of at most 64"})
        description = a.get("description") or ""
        if not isinstance(description, str):
            raise ValidationError({f"{where}description": "must be a string"})
        out.append({
            "fingerprint": fingerprint, "status": _status(a.get("status", "firing"),
                                                          f"{where}status"),
            "title": title.strip(), "labels": _strings(a.get("labels"), f"{where}labels"),
            "annotations": {"description": description} if description else {},
            "severity": _severity(a.get("severity")),
            "external_url": str(a.get("url") or "")[:500],
            "starts_at": None, "ends_at": _time(a.get("ends_at"), f"{where}ends_at"),
        })
    return out


def inbound_alerts_receive(*, rule: AlertRule, alerts: list[dict], now=None) -> dict:
    """Apply parsed alerts in order; -> counts for the answer."""
    now = now or timezone.now()
    lines: list[str] = []
    for incoming in alerts:
        lines += inbound_alert_apply(rule=rule, incoming=incoming, now=now)
    return {"received": len(alerts),
            "firing": sum(a["status"] == "firing" for a in alerts),
            "resolved": sum(a["status"] == "resolved" for a in alerts),
            "changes": lines}
