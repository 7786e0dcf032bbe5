"""A POSTed ping's body says how the job went (issue 20.4: the bot's pinger in webhook mode)."""

import json
import urllib.request

import pytest

from monitoring.models import HeartbeatPing
from monitoring.services.heartbeats import heartbeat_create, ping_body_interpret


@pytest.mark.parametrize("body, kind, exit_status", [
    (b'{"status": "fail"}', "fail", None),
    (b'{"status": "FAILED", "message": "rpc timeout"}', "fail", None),
    (b'{"status": "ok"}', "success", None),
    (b'{"status": "started"}', "start", None),
    (b'{"status": "something odd"}', "fail", None),  # not understood: never healthy
    (b'{"exit_code": 2}', "fail", 2),
    (b'{"rc": "0", "message": "done"}', "success", 0),
    (b'{"message": "nightly run finished"}', None, None),
    (b"1", "fail", 1),
    (b"0\n", "success", 0),
    (b"error: database locked", "fail", None),
    (b"synced 1200 rows", None, None),
    (b"", None, None),
    (b"{not json", None, None),
])
def test_the_body_is_read_as_a_status_an_exit_code_or_a_message(body, kind, exit_status):
    said, code, text = ping_body_interpret(body, "application/json")
    assert (said, code) == (kind, exit_status)
    assert text == body.decode().strip() or text == body.decode()


def test_only_the_first_bytes_are_kept(settings):
    settings.HEARTBEAT_PING_BODY_MAX = 100
    _, _, text = ping_body_interpret(b"x" * 10_000)
    assert len(text) == 100


def _post(url: str, body: bytes, content_type: str) -> int:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
        return response.status


def test_a_webhook_pinger_posting_a_failure_over_http_marks_the_heartbeat_down(live_server):
    beat = heartbeat_create(name="bot", period_seconds=60, grace_seconds=30)
    base = f"{live_server.url}/ping/{beat.uuid}"
    assert _post(base, json.dumps({"status": "ok"}).encode(), "application/json") == 200
    assert _post(base, json.dumps({"status": "fail", "message": "websocket lost"}).encode(),
                 "application/json") == 200
    ping = HeartbeatPing.objects.filter(heartbeat=beat).first()
    assert ping.kind == "fail" and "websocket lost" in ping.body
    beat.refresh_from_db()
    assert beat.status == "down" and beat.last_ping_kind == "fail"
    # healthchecks.io's exit-status URL; the URL wins over the body.
    assert _post(f"{base}/0", b'{"status": "fail"}', "application/json") == 200
    ping = HeartbeatPing.objects.filter(heartbeat=beat).first()
    assert (ping.kind, ping.exit_status) == ("success", 0)
    assert _post(f"{base}/3", b"", "text/plain") == 200
    assert HeartbeatPing.objects.filter(heartbeat=beat).first().kind == "fail"
    assert _post(f"{base}/fail", b'{"status": "ok"}', "application/json") == 200
    assert HeartbeatPing.objects.filter(heartbeat=beat).first().kind == "fail"
    with pytest.raises(urllib.error.HTTPError) as refused:
        _post(f"{base}/300", b"", "text/plain")
    assert refused.value.code == 400


def test_a_large_body_is_cut_not_refused(live_server, settings):
    beat = heartbeat_create(name="bot", period_seconds=60, grace_seconds=30)
    assert _post(f"{live_server.url}/ping/{beat.uuid}", b"log line\n" * 500_000,
                 "text/plain") == 200
    ping = HeartbeatPing.objects.get(heartbeat=beat)
    assert ping.kind == "success" and len(ping.body) == settings.HEARTBEAT_PING_BODY_MAX
