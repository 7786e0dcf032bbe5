"""Redis (the cache) refuses, then hangs: requests are still served in time (the rate
limits fail open), /health names the cache, and no event is lost or doubled."""

import uuid

import pytest

from tests.faults.conftest import TIMEOUTS, WORKERS
from tests.faults.test_database_faults import _health_names

pytestmark = [pytest.mark.fault, pytest.mark.slow]

# One cache round trip may wait CACHE_TIMEOUT; the rate limit then leaves the cache alone.
BOUND = 2 * TIMEOUTS["CACHE_TIMEOUT"] + 1.5


@pytest.mark.parametrize("mode", ["refuse", "hang"])
def test_the_cache_refuses_or_hangs(portal, mode):
    p = portal(cache=True)
    before = [f"cache-{mode}-before-{i}" for i in range(20)]
    assert p.ingest(before).status == 202
    workers = p.worker_pids()

    p.redis.set_mode(mode)
    _health_names(p, "cache", ok=False)
    # Ingestion is rate limited in the cache; with the cache gone it is served unlimited
    # (common/ratelimit.py says why), on every worker, within the cache's timeout.
    during = [[f"cache-{mode}-during-{n}-{i}" for i in range(5)] for n in range(2 * WORKERS)]
    answers = p.concurrently([lambda ids=ids: p.ingest(ids) for ids in during])
    for answer in answers:
        assert answer.status == 202 and answer.elapsed < BOUND, answer
    ping = p.request("GET", f"/ping/{uuid.uuid4()}")  # rate limited per address, too
    assert ping.status == 404 and ping.elapsed < BOUND, ping

    p.redis.set_mode("pass")
    _health_names(p, "cache", ok=True)
    everything = before + sum(during, [])
    assert p.stored(everything) == len(everything)
    replay = p.ingest(everything)
    assert replay.status == 202 and replay.elapsed < 2, replay
    assert replay.json() == {"accepted": 0, "duplicates": len(everything)}, replay
    assert p.worker_pids() == workers
