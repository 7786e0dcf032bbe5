"""The asyncio flavour, the plan's MetricsCollector adapter, a lost answer retried,
and that the package installs with pip."""

import asyncio
import json
import shutil
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from opsportal_client import AsyncPortal, MetricsCollector, Portal

from tests.client.conftest import CLIENT_DIR
from tests.client.fake_portal import FakePortal
from tests.processes import free_port

pytestmark = pytest.mark.realclock


def run_async(coro):
    """asyncio.run on a thread of its own: earlier tests in the session (Playwright's
    sync API in the browser tests) may leave an event loop running on the main one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_async_flush_and_close_never_block_the_event_loop(tmp_path):
    async def main():
        ticks = 0
        stop = asyncio.Event()

        async def ticker():
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        portal = AsyncPortal(f"http://127.0.0.1:{free_port()}", "tok",
                             queue_path=str(tmp_path / "q.sqlite3"), backoff_base=0.05)
        portal.trade(success=False, via="bags")
        delivered = await portal.flush(timeout=1.0)  # the portal is down for a second
        closed = await portal.close(timeout=0.2)
        stop.set()
        await task
        return delivered, closed, ticks

    delivered, closed, ticks = run_async(main())
    assert (delivered, closed) == (False, False)
    assert ticks >= 40  # ~100 possible in 1.2 s; a blocked loop would show 1 or 2


def test_async_portal_delivers(tmp_path):
    async def main(url):
        async with AsyncPortal(url, "tok", queue_path=str(tmp_path / "q.sqlite3"),
                               flush_interval=0.05) as portal:
            portal.command(name="/vibe", ok=True, duration_ms=900)
            assert await portal.flush(timeout=10)
        return portal.stats()

    with FakePortal() as server:
        stats = run_async(main(server.url))
    assert stats["sent"] == 1 and [e["name"] for e in server.stored.values()] == ["/vibe"]


def test_metrics_collector_keeps_the_plans_shape_and_sends_events(tmp_path):
    with FakePortal() as server:
        portal = Portal(server.url, "tok", flush_interval=0.05)
        metrics = MetricsCollector(portal)
        metrics.record_trade(False, "jupiter", error="slippage")
        metrics.record_trade(True, "bags", confirmation_ms=410)
        metrics.record_tp_trigger("t-1")
        metrics.record_sl_trigger("t-2")
        metrics.record_command("/demo", True, 1200)
        assert portal.flush(timeout=10)
        portal.close()
    got = metrics.get_metrics()
    assert (got["trades_24h"], got["error_rate"], got["tp_triggers_24h"],
            got["sl_triggers_24h"]) == (2, 0.5, 1, 1)
    assert sorted(e["type"] for e in server.stored.values()) == [
        "command", "sl_trigger", "tp_trigger", "trade", "trade"]


def test_metrics_collector_with_no_arguments_reads_the_environment(monkeypatch, tmp_path):
    with FakePortal() as server:
        monkeypatch.setenv("OPSPORTAL_URL", server.url)
        monkeypatch.setenv("OPSPORTAL_TOKEN", "tok")
        monkeypatch.setenv("OPSPORTAL_QUEUE", str(tmp_path / "q.sqlite3"))
        metrics = MetricsCollector()  # the bot's one-line change: only the import moved
        metrics.record_trade(False, "bags")
        assert metrics.portal.flush(timeout=10)
        metrics.portal.close()
    assert (tmp_path / "q.sqlite3").exists()
    assert [e["type"] for e in server.stored.values()] == ["trade"]
    monkeypatch.delenv("OPSPORTAL_URL")
    assert MetricsCollector().portal is None  # counts locally, says so in the log


def test_an_answer_lost_after_the_portal_stored_the_batch_is_a_duplicate_not_a_double(
        tmp_path):
    """The portal commits, then the connection dies before the 202: the retry resends
    the same ids, and the server counts them as duplicates."""
    lost = []
    with FakePortal() as server:
        handler = server.httpd.RequestHandlerClass
        original = handler.do_POST

        def do_post(self):
            if not lost:
                length = int(self.headers["Content-Length"])
                events = json.loads(self.rfile.read(length))["events"]
                for e in events:
                    server.stored.setdefault(e["id"], e)
                lost.append(len(events))
                self.connection.shutdown(socket.SHUT_RDWR)  # stored, never answered
                return
            original(self)

        handler.do_POST = do_post
        portal = Portal(server.url, "tok", queue_path=str(tmp_path / "q.sqlite3"),
                        flush_interval=0.05, backoff_base=0.05)
        for i in range(30):
            portal.trade(success=True, via="bags", confirmation_ms=5, n=i)
        assert portal.flush(timeout=10)
        portal.close()
    stats = portal.stats()
    assert lost and stats["duplicates"] == lost[0] and stats["sent"] == 30 - lost[0]
    assert sorted(e["n"] for e in server.stored.values()) == list(range(30))


@pytest.mark.slow
def test_the_package_installs_with_pip_and_imports_without_django(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(CLIENT_DIR, source, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__"))
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                           "--target", str(target), str(source)],
                          capture_output=True, text=True, timeout=300)
    if done.returncode and "No matching distribution found for setuptools" in done.stderr:
        pytest.skip("pip cannot reach setuptools to build the package offline")
    assert done.returncode == 0, done.stderr
    probe = ("import sys, opsportal_client as c; "
             "assert 'django' not in sys.modules; print(c.__version__, c.__file__)")
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, "
                          f"{str(target)!r}); {probe}"],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("1.0.0 ") and str(target) in out.stdout
