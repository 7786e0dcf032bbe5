"""Smoke tests: what `manage.py smoke_test` checks on a running deployment over HTTP.

Plain urllib with a timeout on every request: the deployment under test is the
only thing contacted, and nothing here touches the database.
"""

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field

from django.utils import timezone

from deployments.models import CheckStatus
from deployments.services import CheckResult, check_run

PASS, FAIL, SKIP = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.SKIP
NOT_IN_RELEASE = "not in this release's /api/schema"


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class SmokeClient:
    base_url: str
    token: str = ""
    timeout: float = 5.0
    # Behind a TLS-terminating proxy the app sees X-Forwarded-Proto: https; sent
    # here, it lets a loopback rehearsal run with PRODUCTION=1 (SSL redirect on).
    forwarded_proto: str = ""
    # A rollback runs an older release: what its API schema does not list, it
    # does not have, and a check of it is skipped rather than failed.
    skip_absent: bool = False
    seen_headers: list = field(default_factory=list)
    _schema: bytes | None = None

    def absent(self, path: str) -> bool:
        if not self.skip_absent:
            return False
        if self._schema is None:
            r = self.request("GET", "/api/schema")
            self._schema = r.body if r.status == 200 else b""
        return bool(self._schema) and path.encode() not in self._schema

    def request(self, method: str, path: str, *, body: dict | None = None,
                auth: bool = False) -> Response:
        headers = {"Accept": "application/json", "User-Agent": "opsportal-smoke-test"}
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.forwarded_proto:
            headers["X-Forwarded-Proto"] = self.forwarded_proto
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base_url.rstrip("/") + path, data=data,
                                         headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as r:
                response = Response(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as exc:
            response = Response(exc.code, dict(exc.headers), exc.read())
        self.seen_headers.append(response.headers)
        return response


def _expect(response: Response, code: int, what: str) -> None:
    if response.status != code:
        snippet = response.body[:120].decode(errors="replace").replace("\n", " ")
        raise AssertionError(f"{what}: HTTP {response.status}, expected {code}: {snippet}")


def smoke_health(client: SmokeClient):
    r = client.request("GET", "/health")
    body = r.json() if r.body.startswith(b"{") else {}
    _expect(r, 200, "/health")
    failing = [n for n, c in body.get("checks", {}).items() if not c.get("ok")]
    return PASS, f"{body.get('status')} {body.get('version', '')}" + (
        f" (failing: {', '.join(failing)})" if failing else "")


def smoke_metrics_need_a_token(client: SmokeClient):
    r = client.request("GET", "/metrics")
    _expect(r, 401, "/metrics without a token")
    return PASS, "401 without a token"


def smoke_metrics(client: SmokeClient):
    if not client.token:
        return FAIL, "needs --token (scopes read,ingest)"
    r = client.request("GET", "/metrics", auth=True)
    _expect(r, 200, "/metrics")
    body = r.json()
    if "timestamp" not in body:
        return FAIL, "no timestamp in the metrics"
    return PASS, f"{len(body)} keys"


def smoke_ingest(client: SmokeClient):
    if client.absent("/api/v1/events"):
        return SKIP, NOT_IN_RELEASE
    if not client.token:
        return FAIL, "needs --token (scopes read,ingest)"
    # Marked synthetic: stored (the check reads it back) but left out of every rollup,
    # metric, rule and readiness item, so a smoke test against production at T-4h
    # changes no number on the dashboard. Its TP/SL are set all the same.
    event = {"id": f"smoke-{uuid.uuid4().hex[:24]}", "type": "trade",
             "ts": timezone.now().isoformat(), "success": True, "via": "jupiter",
             "confirmation_ms": 1, "demo": True, "take_profit_pct": 10, "stop_loss_pct": 5,
             "synthetic": True}
    r = client.request("POST", "/api/v1/events", body={"events": [event]}, auth=True)
    _expect(r, 202, "POST /api/v1/events")
    body = r.json()
    if body.get("accepted") != 1:
        return FAIL, f"expected 1 accepted, got {body}"
    return PASS, f"{event['id']} accepted"


def smoke_admin_login(client: SmokeClient):
    r = client.request("GET", "/admin/login/")
    _expect(r, 200, "/admin/login/")
    if b"csrfmiddlewaretoken" not in r.body:
        return FAIL, "the login page has no CSRF token field"
    return PASS, "login form served"


def smoke_docs(client: SmokeClient):
    r = client.request("GET", "/docs/")
    _expect(r, 200, "/docs/")
    return PASS, f"{len(r.body)} bytes"


def smoke_schema(client: SmokeClient):
    r = client.request("GET", "/api/schema")
    _expect(r, 200, "/api/schema")
    if b"openapi" not in r.body[:200]:
        return FAIL, "not an OpenAPI document"
    return PASS, f"{len(r.body)} bytes"


def smoke_hsts(client: SmokeClient):
    values = [h.get("Strict-Transport-Security") for h in client.seen_headers]
    if not any(values):
        return FAIL, "no Strict-Transport-Security header on any answer"
    return PASS, next(v for v in values if v)


def smoke_run_checks(*, base_url: str, token: str = "", timeout: float = 5.0,
                     forwarded_proto: str = "", expect_hsts: bool = False,
                     skip_absent: bool = False) -> list[CheckResult]:
    """Every smoke check against `base_url`, in order; a failure does not stop the rest."""
    client = SmokeClient(base_url=base_url, token=token, timeout=timeout,
                         forwarded_proto=forwarded_proto, skip_absent=skip_absent)
    checks = [
        ("health", smoke_health),
        ("metrics auth", smoke_metrics_need_a_token),
        ("metrics", smoke_metrics),
        ("event ingestion", smoke_ingest),
        ("admin login page", smoke_admin_login),
        ("docs", smoke_docs),
        ("api schema", smoke_schema),
    ]
    results = [check_run(name, lambda fn=fn: fn(client)) for name, fn in checks]
    if expect_hsts:
        results.append(check_run("hsts", lambda: smoke_hsts(client)))
    return results
