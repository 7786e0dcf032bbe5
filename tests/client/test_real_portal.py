"""The client against the real portal (gunicorn on the test database), killed with
SIGKILL and restarted mid-stream while several threads send: every event is stored
exactly once (issue 20, part 1: "nothing lost or doubled"). Also the portal's own 429
(INGEST_RATE_LIMIT), its 400 for invalid events, and heartbeat pings."""

import contextlib
import itertools
import signal
import threading

import pytest
from opsportal_client import Portal

from accounts.services import api_token_create
from monitoring.models import Event, HeartbeatPing
from monitoring.services.heartbeats import heartbeat_create
from tests.processes import stop, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.realclock, pytest.mark.django_db(transaction=True)]
THREADS = 4
KILLS = 2


@pytest.fixture
def token(transactional_db):
    return api_token_create(name="bot", scopes=["ingest"])[1]


class Producers:
    """THREADS threads trading at the bot's pace (about 1,000 events/s in all) until
    stopped; `seq` numbers every event once, across threads."""

    def __init__(self, portal):
        self.portal, self.stopped = portal, threading.Event()
        self.seq, self.lock, self.sent = itertools.count(), threading.Lock(), 0
        self.threads = [threading.Thread(target=self._run) for _ in range(THREADS)]

    def _run(self):
        while not self.stopped.is_set():
            for _ in range(5):
                with self.lock:
                    i = next(self.seq)
                    self.sent += 1
                self.portal.trade(success=i % 10 != 0, via="bags" if i % 2 else "jupiter",
                                  confirmation_ms=300 + i % 700, partner_fee_sol="0.001",
                                  take_profit_pct=20, stop_loss_pct=10, seq=i)
            self.stopped.wait(0.02)  # the pace of trading, not a wait for work

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        for t in self.threads:
            t.join()


def test_sigkill_and_restart_of_the_portal_mid_stream_loses_and_doubles_nothing(
        gunicorn, token, tmp_path):
    with contextlib.ExitStack() as servers:
        proc, base, port = servers.enter_context(gunicorn())
        portal = Portal(base, token, queue_path=str(tmp_path / "bot-queue.sqlite3"),
                        flush_interval=0.05, spool_interval=0.02, backoff_base=0.1,
                        backoff_max=1, timeout=5)
        with Producers(portal) as producers:
            for _ in range(KILLS):
                stored = Event.objects.count()
                # Killed while the stream runs: some batches stored, others queued or in
                # flight (an answer lost after the commit is a retry the portal dedups).
                wait_for(lambda: Event.objects.count() > stored + 200, 60,  # noqa: B023
                         interval=0.01, what="the stream to flow")
                retries = portal.stats()["retries"]
                stop(proc, sig=signal.SIGKILL)
                wait_for(lambda: portal.stats()["retries"] > retries, 30,  # noqa: B023
                         what="a failed delivery")
                queued = portal.stats()["queued"]
                wait_for(lambda: portal.stats()["queued"] > queued + 200, 30,  # noqa: B023
                         what="events queued during the outage")
                proc, _, _ = servers.enter_context(gunicorn(port=port))
            stored = Event.objects.count()
            wait_for(lambda: Event.objects.count() > stored + 200, 60, what="the stream back")
        assert portal.flush(timeout=120), portal.stats()
        assert portal.close()
    seqs = sorted(e["seq"] for e in Event.objects.values_list("payload", flat=True))
    assert seqs == list(range(producers.sent))  # 0 lost, 0 doubled
    stats = portal.stats()
    assert stats["sent"] == producers.sent - stats["duplicates"] and stats["queued"] == 0
    assert stats["dropped"] == stats["rejected"] == 0


def test_an_invalid_event_is_dropped_with_the_portals_message_and_the_rest_stored(
        gunicorn, token, tmp_path):
    with gunicorn() as (_, base, _port):
        portal = Portal(base, token, queue_path=str(tmp_path / "q.sqlite3"),
                        flush_interval=0.05)
        for i in range(5):
            portal.trade(success=True, via="bags", confirmation_ms=10, seq=i)
        portal.trade(success=True, via="raydium", confirmation_ms=10, seq=5)
        portal.trade(success=True, via="bags", seq=6)  # the contract needs confirmation_ms
        portal.command(name="/vibe", ok=True, duration_ms=1500, seq=7)
        assert portal.flush(timeout=30)
        portal.close()
    assert sorted(p["seq"] for p in Event.objects.values_list("payload", flat=True)) == [
        0, 1, 2, 3, 4, 7]
    stats = portal.stats()
    assert (stats["sent"], stats["rejected"]) == (6, 2)
    assert "confirmation_ms is required when success is true" in stats["last_error"] or \
        "via" in stats["last_error"]
    assert stats["clock_skew_seconds"] is not None and abs(stats["clock_skew_seconds"]) < 2


def test_heartbeats_reach_the_portal(gunicorn, token, tmp_path):
    beat = heartbeat_create(name="bot", period_seconds=60, grace_seconds=30)
    with gunicorn() as (_, base, _port):
        portal = Portal(base, token)
        portal.heartbeat(str(beat.uuid), "start")
        portal.heartbeat(str(beat.uuid), "fail")
        assert portal.flush(timeout=30)
        portal.close()
    kinds = list(HeartbeatPing.objects.filter(heartbeat=beat).order_by("at", "pk")
                 .values_list("kind", flat=True))
    assert kinds == ["start", "fail"]


def test_the_real_portals_429_is_waited_out_and_nothing_is_lost(gunicorn, token, tmp_path):
    # One worker: the throttle counts in its process memory (locmem cache).
    with gunicorn(INGEST_RATE_LIMIT="1/s", WEB_CONCURRENCY=1) as (_, base, _port):
        portal = Portal(base, token, queue_path=str(tmp_path / "q.sqlite3"),
                        flush_interval=0.01)
        for i in range(4):  # one request each: the second within the second is a 429
            portal.trade(success=True, via="bags", confirmation_ms=10, seq=i)
            assert portal.flush(timeout=30), portal.stats()
        portal.close()
    assert sorted(p["seq"] for p in Event.objects.values_list("payload", flat=True)) == [
        0, 1, 2, 3]
    stats = portal.stats()
    assert stats["retries"] >= 1 and "HTTP 429" in stats["last_error"], stats
    assert (stats["sent"], stats["duplicates"]) == (4, 0)
