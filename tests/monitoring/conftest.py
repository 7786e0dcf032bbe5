"""Fixtures for monitoring and alerting: real HTTP servers on 127.0.0.1 stand in for
the world."""

from datetime import UTC, datetime

import pytest

from alerting.services import notify
from alerting.services.alert_rules import alert_rules_bootstrap
from monitoring.services.health import health_memory_clear
from tests.servers import RecordingServer

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def webhook():
    """A webhook receiver for Apprise json:// channels."""
    with RecordingServer() as server:
        server.apprise_url = server.url.replace("http://", "json://") + "/hook"
        server.messages = lambda: [r["body"] for r in server.requests]
        yield server


@pytest.fixture
def page_channel(db, webhook):
    return notify.notification_channel_create(name="on-call", url=webhook.apprise_url,
                                              min_severity="info")


@pytest.fixture
def plan_rules(db):
    alert_rules_bootstrap()


def rpc_server(healthy=True):
    """A fake Solana RPC: getHealth answers ok, or an error while `state["ok"]` is False."""
    state = {"ok": healthy}

    def respond(method, path, body):
        if state["ok"]:
            return 200, {"jsonrpc": "2.0", "id": 1, "result": "ok"}
        return 200, {"jsonrpc": "2.0", "id": 1,
                     "error": {"code": -32005, "message": "Node is behind"}}

    server = RecordingServer(respond=respond)
    server.state = state
    return server


@pytest.fixture(autouse=True)
def _forget_health_state():
    # /health keeps the last state in process memory; each test starts from its own DB.
    health_memory_clear()
    yield
    health_memory_clear()
