"""The client against a tiny real HTTP server (tests/client/fake_portal.py): Retry-After,
backoff, invalid events, batch bounds, the queue across the bot's restart, the bound
on the queue, clock skew, and that nothing raises into the caller."""

import datetime
import email.utils
import logging
import time

import pytest
from opsportal_client import Portal

from tests.client.fake_portal import FakePortal
from tests.processes import free_port, wait_for

pytestmark = pytest.mark.realclock


def _trades(portal, n, start=0, **extra):
    for i in range(start, start + n):
        portal.trade(success=True, via="bags", confirmation_ms=100 + i, n=i, **extra)


def _numbers(server):
    return sorted(e["n"] for e in server.stored.values())


def _dead_url():
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


@pytest.fixture
def queue(tmp_path):
    return str(tmp_path / "queue.sqlite3")


@pytest.mark.parametrize("retry_after", ["1", "http-date"])
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_and_nothing_is_lost(queue, status, retry_after):
    def answer(n, events):
        if n < 3:
            value = retry_after if retry_after != "http-date" else \
                email.utils.formatdate(time.time() + 2, usegmt=True)
            return status, {"detail": "slow down"}, {"Retry-After": value}
        return None

    with FakePortal(answer) as server:
        portal = Portal(server.url, "tok", queue_path=queue, flush_interval=0.05,
                        backoff_base=0.01)
        _trades(portal, 50)
        assert portal.flush(timeout=20)
        portal.close()
    at = [r["at"] for r in server.event_requests()]
    assert len(at) == 4
    # An HTTP-date has whole seconds: "now + 2 s" is 1 to 2 s away when read.
    least = 0.95 if retry_after == "1" else 0.9
    assert all(b - a >= least for a, b in zip(at, at[1:], strict=False)), at
    assert _numbers(server) == list(range(50))
    stats = portal.stats()
    assert (stats["sent"], stats["duplicates"], stats["queued"]) == (50, 0, 0)
    assert stats["retries"] == 3 and f"HTTP {status}" in stats["last_error"]


def test_errors_back_off_exponentially_with_jitter(queue):
    with FakePortal(lambda n, events: (500, "boom", {}) if n < 4 else None) as server:
        portal = Portal(server.url, "tok", queue_path=queue, flush_interval=0.01,
                        backoff_base=0.2)
        _trades(portal, 5)
        assert portal.flush(timeout=20)
        portal.close()
    at = [r["at"] for r in server.event_requests()]
    gaps = [b - a for a, b in zip(at, at[1:], strict=False)]
    # Delays drawn from [c/2, c] for c = 0.2, 0.4, 0.8, 1.6 s.
    assert len(gaps) == 4 and gaps[0] >= 0.09 and gaps[3] >= 0.75, gaps
    assert gaps[3] > gaps[0]
    assert _numbers(server) == list(range(5))


def test_an_invalid_event_named_by_the_portal_is_dropped_and_the_rest_delivered(
        queue, caplog):
    def answer(n, events):
        bad = [{"index": i, "field": "via", "message": 'must be "bags" or "jupiter"'}
               for i, e in enumerate(events) if e["via"] == "raydium"]
        return (400, {"errors": bad}, {}) if bad else None

    with FakePortal(answer) as server:
        portal = Portal(server.url, "tok", queue_path=queue, flush_interval=0.05)
        _trades(portal, 10)
        portal.trade(success=False, via="raydium", n=99)
        _trades(portal, 10, start=10)
        with caplog.at_level(logging.ERROR, logger="opsportal_client"):
            assert portal.flush(timeout=10)
        portal.close()
    assert _numbers(server) == list(range(20))
    assert portal.stats()["rejected"] == 1
    assert 'via must be "bags" or "jupiter"' in caplog.text


def test_a_400_without_indexes_is_bisected_to_the_one_bad_event(queue):
    def answer(n, events):
        return (400, {"detail": "bad"}, {}) if any(e["n"] == 37 for e in events) else None

    with FakePortal(answer) as server:
        portal = Portal(server.url, "tok", queue_path=queue, flush_interval=0.01)
        _trades(portal, 100)
        assert portal.flush(timeout=20)
        portal.close()
    assert _numbers(server) == [n for n in range(100) if n != 37]
    assert portal.stats()["rejected"] == 1
    assert len(server.event_requests()) < 20  # halving, not one by one


def test_batches_stay_within_1000_events_and_1_mib(queue):
    offline = Portal(_dead_url(), "tok", queue_path=queue, backoff_base=60)
    _trades(offline, 1500, pad="x" * 1500)
    _trades(offline, 1200, start=1500)
    offline.close(timeout=0)  # all of it on disk, so the batches' cut is deterministic
    with FakePortal() as server:
        portal = Portal(server.url, "tok", queue_path=queue, flush_interval=60)
        assert portal.flush(timeout=30)
        portal.close()
    sizes = [(len(r["events"]), r["bytes"]) for r in server.event_requests()]
    assert all(count <= 1000 and size <= 1024 * 1024 for count, size in sizes), sizes
    assert any(size > 1000 * 1024 for _, size in sizes)  # full batches by bytes...
    assert any(count == 1000 for count, _ in sizes)  # ...and by count
    assert _numbers(server) == list(range(2700))


def test_events_survive_the_bots_restart_during_an_outage(queue):
    portal = Portal(_dead_url(), "tok", queue_path=queue, backoff_base=0.05)
    _trades(portal, 100)
    assert portal.flush(timeout=0.5) is False
    assert portal.close(timeout=0.2) is False  # mid-outage: the events stay on disk
    assert portal.stats()["queued"] == 100

    with FakePortal() as server:
        again = Portal(server.url, "tok", queue_path=queue, flush_interval=0.05)
        _trades(again, 5, start=100)
        assert again.flush(timeout=10)
        again.close()
    assert _numbers(server) == list(range(105))
    assert again.stats()["duplicates"] == 0
    assert server.requests[0]["auth"] == "Bearer tok"


def test_past_max_events_the_oldest_are_dropped_and_counted(queue, caplog):
    portal = Portal(_dead_url(), "tok", queue_path=queue, max_events=10, backoff_base=5)
    _trades(portal, 25)
    assert portal.flush(timeout=0.5) is False
    portal.close(timeout=0)
    stats = portal.stats()
    assert (stats["dropped"], stats["queued"]) == (15, 10)

    # The bound holds across a restart too: the file's 10 and 3 more keep the newest 10.
    again = Portal(_dead_url(), "tok", queue_path=queue, max_events=10, backoff_base=5)
    _trades(again, 3, start=25)
    assert again.flush(timeout=0.5) is False
    again.close(timeout=0)
    assert (again.stats()["dropped"], again.stats()["queued"]) == (3, 10)

    with FakePortal() as server:
        last = Portal(server.url, "tok", queue_path=queue, max_events=10, flush_interval=0.05)
        assert last.flush(timeout=10)
        last.close()
    assert _numbers(server) == list(range(18, 28))


def test_clock_skew_is_reported_and_event_times_are_left_as_measured(queue, caplog):
    with FakePortal(clock_offset=600) as server:
        portal = Portal(server.url, "tok", queue_path=queue, flush_interval=0.05)
        before = datetime.datetime.now(datetime.UTC)
        with caplog.at_level(logging.WARNING, logger="opsportal_client"):
            _trades(portal, 3)
            assert portal.flush(timeout=10)
        portal.close()
    assert 598 <= portal.stats()["clock_skew_seconds"] <= 602
    assert "clock is -600 s off the portal's" in caplog.text
    for event in server.stored.values():
        ts = datetime.datetime.fromisoformat(event["ts"])
        assert abs((ts - before).total_seconds()) < 5


def test_no_public_method_raises_into_the_caller(queue, caplog):
    with FakePortal() as server:
        portal = Portal(server.url, "tok", queue_path=queue, flush_interval=0.05)
        with caplog.at_level(logging.ERROR, logger="opsportal_client"):
            assert portal.trade(via="bags") is None  # success missing
            assert portal.trade(success=True, via="bags", partner_fee_sol=object()) is None
            assert portal.trade(success=True, via="bags", confirmation_ms=1,
                                ts=object()) is None
            assert portal.heartbeat("x", status="sideways") is None
            portal.trade(success=True, via="bags", confirmation_ms=1, blob=object())
            portal.command(name="/vibe", ok=True, duration_ms=1200)
            assert portal.flush(timeout=10)
        portal.close()
        portal.trade(success=True, via="bags", confirmation_ms=1)  # after close: ignored
        assert portal.close() is True
    stats = portal.stats()
    assert stats["errors"] == 4 and stats["rejected"] == 1 and stats["sent"] == 1
    assert [e["type"] for e in server.stored.values()] == ["command"]


def test_every_event_type_carries_the_schemas_fields(queue):
    with FakePortal() as server:
        portal = Portal(server.url, "tok", queue_path=queue, flush_interval=0.05,
                        synthetic=True)
        portal.trade(success=True, via="jupiter", confirmation_ms=420.5,
                     partner_fee_sol=0.0125, take_profit_pct=20, stop_loss_pct=None,
                     demo=True, ts=datetime.datetime.now(datetime.UTC))
        portal.command(name="/demo", ok=False, duration_ms=12)
        portal.rpc_status(endpoint="helius", ok=True, latency_ms=35)
        portal.ws_status(connected=False)
        portal.db_pool(in_use=3, size=10)
        portal.rate_limit(api="jupiter", used=40, limit=600)
        portal.tp_trigger(trade_id="t-1")
        portal.sl_trigger(trade_id="t-2")
        assert portal.flush(timeout=10)
        portal.close()
    events = sorted(server.stored.values(), key=lambda e: e["type"])
    for e in events:
        assert len(e.pop("id")) == 32 and e.pop("synthetic") is True
        assert datetime.datetime.fromisoformat(e.pop("ts")).tzinfo is not None
    assert events == [
        {"type": "command", "name": "/demo", "ok": False, "duration_ms": 12},
        {"type": "db_pool", "in_use": 3, "size": 10},
        {"type": "rate_limit", "api": "jupiter", "used": 40, "limit": 600},
        {"type": "rpc_status", "endpoint": "helius", "ok": True, "latency_ms": 35},
        {"type": "sl_trigger", "trade_id": "t-2"},
        {"type": "tp_trigger", "trade_id": "t-1"},
        {"type": "trade", "success": True, "via": "jupiter", "confirmation_ms": 420.5,
         "partner_fee_sol": "0.0125", "take_profit_pct": 20, "stop_loss_pct": None,
         "demo": True},
        {"type": "ws_status", "connected": False},
    ]


def test_heartbeats_are_sent_without_auth_to_the_ping_urls(queue):
    with FakePortal() as server:
        portal = Portal(server.url, "tok", queue_path=queue)
        portal.heartbeat("abc", "start")
        portal.heartbeat("abc")
        portal.heartbeat("abc", "fail")
        assert portal.flush(timeout=10)
        portal.close()
        wait_for(lambda: len(server.requests) == 3, 5, what="pings")
    assert [(r["path"], r["auth"]) for r in server.requests] == [
        ("/ping/abc/start", None), ("/ping/abc", None), ("/ping/abc/fail", None)]


def test_an_unusable_queue_file_falls_back_to_memory_and_still_delivers(tmp_path, caplog):
    bad = tmp_path / "not-a-db.sqlite3"
    bad.write_bytes(b"this is not SQLite " * 100)
    with FakePortal() as server, caplog.at_level(logging.ERROR, logger="opsportal_client"):
        portal = Portal(server.url, "tok", queue_path=str(bad), flush_interval=0.05)
        _trades(portal, 3)
        assert portal.flush(timeout=10)
        portal.close()
    assert _numbers(server) == [0, 1, 2]
    assert "cannot open the queue" in caplog.text
