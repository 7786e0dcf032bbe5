"""/health under a flood, on a real gunicorn (issue 15, item 6): closed-loop clients are
paced to HEALTH_RATE_LIMIT, every answer still comes within 1 s, and other requests
are served meanwhile. The cost to ingestion is measured in bench/bench_health_flood.py."""

import concurrent.futures
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.processes import ROOT, child_env, free_port, start, stop, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
RATE = 4  # per second, per client address and process
CLIENTS = 6  # gunicorn.conf.py's 8 threads, less the 2 never spent waiting
SECONDS = 3.0


def _get(url: str) -> tuple[int, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 0
    return status, time.monotonic() - started


@pytest.fixture
def portal(tmp_path):
    port = free_port()
    env = child_env(tmp_path, GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=1,
                    BACKUP_DIR=tmp_path / "backups", HEALTH_RATE_LIMIT=f"{RATE}/s")
    proc = start([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "opsportal.wsgi"],
                 env, tmp_path / "gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: proc.poll() is not None or _get(f"{base}/no-such-page")[0] == 404, 60,
                 what="gunicorn")
        assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
        yield base
    finally:
        stop(proc)


def test_a_health_flood_is_paced_and_other_requests_are_served_meanwhile(portal):
    assert _get(f"{portal}/health")[0] == 200
    stop_at = time.monotonic() + SECONDS
    answers, lock = [], threading.Lock()

    def client():
        while time.monotonic() < stop_at:
            answer = _get(f"{portal}/health")
            with lock:
                answers.append(answer)

    with concurrent.futures.ThreadPoolExecutor(CLIENTS + 1) as pool:
        flood = [pool.submit(client) for _ in range(CLIENTS)]
        time.sleep(0.5)  # the flood at its pace
        other = pool.submit(_get, f"{portal}/no-such-page").result()
        for f in flood:
            f.result()
    assert other[0] == 404 and other[1] < 0.5, other
    served = [elapsed for status, elapsed in answers if status == 200]
    refused = [elapsed for status, elapsed in answers if status == 429]
    assert len(served) + len(refused) == len(answers), answers
    assert all(elapsed < 1.0 for _, elapsed in answers), max(answers, key=lambda a: a[1])
    # The burst, then RATE a second; a client over it waited for its turn, and one whose
    # turn was too far away was refused only after waiting too: no client was answered
    # as fast as it asked.
    assert len(served) <= RATE * (SECONDS + 1) + RATE, len(served)
    assert sum(elapsed > 0.1 for elapsed in served) >= len(served) // 2, served
    assert all(elapsed >= 0.45 for elapsed in refused), refused
    assert len(answers) <= CLIENTS * SECONDS / 0.45 + RATE * (SECONDS + 1) + RATE, len(answers)
