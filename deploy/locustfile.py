"""The staging load test: event ingestion, metrics and health, as the bot and
dashboards use them. Run headless by deploy/staging.py; tokens come from the
environment (LOAD_TOKEN: scopes ingest,read)."""

import os
import uuid
from datetime import UTC, datetime

from locust import HttpUser, between, task

TOKEN = os.environ.get("LOAD_TOKEN", "")
# A TLS-terminating proxy sets this in production; the rehearsal speaks plain
# HTTP on loopback to an app running with PRODUCTION=1 and BEHIND_PROXY=1.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"} if os.environ.get("LOAD_BEHIND_PROXY") else {}


class BotAndDashboards(HttpUser):
    wait_time = between(0.05, 0.3)

    def on_start(self):
        self.client.headers.update({**PROXY_HEADERS, "Authorization": f"Bearer {TOKEN}"})

    @task(3)
    def ingest_events(self):
        now = datetime.now(UTC).isoformat()
        events = [{"id": f"load-{uuid.uuid4().hex[:24]}", "type": "trade", "ts": now,
                   "success": True, "via": "jupiter", "confirmation_ms": 250, "demo": True,
                   "synthetic": True}
                  for _ in range(10)]
        self.client.post("/api/v1/events", json={"events": events}, name="POST /api/v1/events")

    @task(2)
    def metrics(self):
        self.client.get("/metrics", name="GET /metrics")

    @task(1)
    def health(self):
        self.client.get("/health", name="GET /health")
