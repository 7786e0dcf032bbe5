"""The plan's deployment checklist, as checks `manage.py preflight` runs.

Each check returns (status, detail) and raises on trouble; `services.check_run`
turns an exception into a failure with its message. Nothing here writes.
"""

import json
import logging
import os
import socket
import urllib.parse
import urllib.request
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.checks import WARNING, run_checks
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import RequestFactory
from django.urls import resolve
from django.utils import timezone

from common.deploy_rules import (
    REQUIRED_ENVIRONMENT,
    environment_missing,
    secret_key_is_placeholder,
)
from deployments.models import CheckStatus
from deployments.services import CheckResult, check_run
from monitoring import selectors as monitoring_selectors

PASS, FAIL, SKIP = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.SKIP

SCHEDULER_FRESH = timedelta(seconds=120)
# Apprise schemes that are plain HTTP(S) webhooks: reachability is a TCP connect.
HTTP_SCHEMES = {"json": 80, "jsons": 443, "form": 80, "forms": 443, "xml": 80, "xmls": 443,
                "http": 80, "https": 443}


def _timeout() -> float:
    return settings.OUTBOUND_TIMEOUT_SECONDS


def check_environment():
    missing = environment_missing(os.environ)
    if settings.DEBUG:
        missing.append("DEBUG=0 (DEBUG is on)")
    if missing:
        return FAIL, "missing: " + ", ".join(missing)
    return PASS, f"{len(REQUIRED_ENVIRONMENT)} required variables set, DEBUG off"


def check_secrets():
    from cryptography.fernet import Fernet  # only here: the check is about these keys

    problems = []
    if secret_key_is_placeholder(settings.SECRET_KEY):
        problems.append("SECRET_KEY is a placeholder or shorter than 50 characters")
    if not settings.BACKUP_ENCRYPTION_KEYS:
        problems.append("BACKUP_ENCRYPTION_KEY is empty")
    for i, key in enumerate(settings.BACKUP_ENCRYPTION_KEYS):
        try:
            Fernet(key.encode())
        except ValueError:
            problems.append(f"BACKUP_ENCRYPTION_KEY #{i + 1} is not a Fernet key")
    for i, key in enumerate(settings.FIELD_ENCRYPTION_KEYS):
        try:
            Fernet(key.encode())
        except ValueError:
            problems.append(f"FIELD_ENCRYPTION_KEY #{i + 1} is not a Fernet key")
    return (FAIL, "; ".join(problems)) if problems else (PASS, "secret key and backup keys ok")


def check_deploy_checks():
    messages = [m for m in run_checks(include_deployment_checks=True)
                if m.level >= WARNING and not m.is_silenced()]
    if messages:
        return FAIL, f"{len(messages)} issue(s): " + ", ".join(sorted({m.id for m in messages}))
    return PASS, "manage.py check --deploy: no issues"


def check_database():
    connection.ensure_connection()
    return PASS, f"{connection.vendor} {connection.settings_dict.get('NAME')}"


def check_migrations():
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = [f"{m.app_label}.{m.name}" for m, _ in plan]
        return FAIL, f"{len(plan)} unapplied: " + ", ".join(names[:5])
    return PASS, "no unapplied migrations"


def check_audit_append_only():
    from common.audit_guard import audit_guard_installed

    if not audit_guard_installed(connection):
        return FAIL, ("the audit table's append-only triggers are missing: run manage.py "
                      "migrate, or see docs/runbook.md#access-and-keys")
    return PASS, "the audit table refuses UPDATE and DELETE"


def check_broker():
    from celery import current_app as app  # the project's app, loaded with Django

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=_timeout())
        return PASS, conn.as_uri()


def check_cache():
    cache.set("preflight", "ok", 30)
    if cache.get("preflight") != "ok":
        return FAIL, "a value written to the cache did not read back"
    return PASS, settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def _model(label: str):
    # Alerting and RPC failover may not be installed in every release this
    # command checks (a rollback runs an older one): look the models up by name.
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _tcp_reachable(host: str, port: int) -> None:
    with socket.create_connection((host, port), timeout=_timeout()):
        pass


def check_notification_channels():
    import apprise

    model = _model("alerting.NotificationChannel")
    if model is None:
        return SKIP, "this release has no notification channels"
    channels = list(model.objects.filter(enabled=True))
    if not channels:
        return FAIL, "no enabled notification channel: a page would reach nobody"
    bad = []
    for channel in channels:
        url = urllib.parse.urlsplit(channel.url)
        try:
            if url.scheme in HTTP_SCHEMES:
                _tcp_reachable(url.hostname, url.port or HTTP_SCHEMES[url.scheme])
            elif not apprise.Apprise().add(channel.url):
                bad.append(f"{channel.name}: not a valid Apprise URL")
        except OSError as exc:
            bad.append(f"{channel.name}: {exc.strerror or exc}")
    if bad:
        return FAIL, "; ".join(bad)
    return PASS, f"{len(channels)} channel(s) reachable or valid"


def check_rpc_endpoints():
    model = _model("monitoring.RpcEndpoint")
    if model is None:
        return SKIP, "this release has no RPC endpoints"
    endpoints = list(model.objects.filter(enabled=True))
    if not endpoints:
        return FAIL, "no enabled RPC endpoint"
    bad = []
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getHealth"}).encode()
    for endpoint in endpoints:
        request = urllib.request.Request(endpoint.url, data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=_timeout()) as response:
                answer = json.loads(response.read() or b"{}")
            if answer.get("result") != "ok":
                bad.append(f"{endpoint.name}: getHealth answered {answer.get('error', answer)}")
        except (OSError, ValueError) as exc:
            bad.append(f"{endpoint.name}: {getattr(exc, 'reason', exc)}")
    if bad:
        return FAIL, "; ".join(bad)
    return PASS, f"{len(endpoints)} endpoint(s) healthy"


def check_health(base_url: str = ""):
    if base_url:
        try:
            with urllib.request.urlopen(f"{base_url.rstrip('/')}/health",
                                        timeout=_timeout()) as response:
                code, body = response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            code, body = exc.code, json.loads(exc.read() or b"{}")
    else:
        host = (settings.ALLOWED_HOSTS or ["localhost"])[0].lstrip(".").replace("*", "localhost")
        request = RequestFactory().get("/health", HTTP_HOST=host)
        # A crashing component logs its traceback; here the table already says
        # which one failed, and the traceback would bury it.
        health_logger = logging.getLogger("monitoring.services.health")
        level = health_logger.level
        health_logger.setLevel(logging.CRITICAL)
        try:
            response = resolve("/health").func(request)
        finally:
            health_logger.setLevel(level)
        code, body = response.status_code, json.loads(response.content)
    # /health serves a state refreshed in the background: say how old each failing
    # check is, so "scheduler" failing 50 s ago beside a passing scheduler line below
    # reads as what it is (the worker's first heartbeat came after that refresh).
    failing = [f"{name}, {c['age_seconds']:.0f} s ago" if c.get("age_seconds") else name
               for name, c in body.get("checks", {}).items() if not c.get("ok")]
    detail = f"{code} {body.get('status')}" + (f" ({'; '.join(failing)})" if failing else "")
    return (PASS if code == 200 else FAIL), detail


def check_scheduler():
    last = monitoring_selectors.scheduler_last_seen()
    if last is None:
        return FAIL, "beat and worker have never run the heartbeat task"
    age = timezone.now() - last
    if age > SCHEDULER_FRESH:
        return FAIL, f"last scheduler heartbeat {int(age.total_seconds())} s ago"
    return PASS, f"heartbeat {int(age.total_seconds())} s ago"


def check_alert_rules():
    model = _model("alerting.AlertRule")
    if model is None:
        return SKIP, "this release has no alert rules"
    enabled = model.objects.filter(enabled=True).count()
    if not enabled:
        return FAIL, "no alert rule is enabled (run bootstrap)"
    return PASS, f"{enabled} alert rule(s) enabled"


def preflight_run_checks(*, base_url: str = "") -> list[CheckResult]:
    """Every check of the plan's deployment checklist, in the plan's order."""
    return [
        check_run("environment variables", check_environment),
        check_run("secrets", check_secrets),
        check_run("check --deploy", check_deploy_checks),
        check_run("database", check_database),
        check_run("migrations", check_migrations),
        check_run("audit log append-only", check_audit_append_only),
        check_run("broker", check_broker),
        check_run("cache", check_cache),
        check_run("notification channels", check_notification_channels),
        check_run("rpc endpoints", check_rpc_endpoints),
        check_run("health", lambda: check_health(base_url)),
        check_run("scheduler (beat)", check_scheduler),
        check_run("alert rules", check_alert_rules),
    ]
