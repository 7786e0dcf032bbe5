"""Rate limits: per token on ingestion, per address on /ping/ and the admin login."""

import json
import uuid

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.monitoring.events import trade

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def _client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def _post_events(client):
    return client.post("/api/v1/events", json.dumps({"events": [trade()]}),
                       content_type="application/json")


def test_ingestion_is_limited_per_token_with_retry_after(settings, make_token):
    settings.INGEST_RATE_LIMIT = "3/m"
    first, second = _client(make_token("ingest")), _client(make_token("ingest"))
    assert [_post_events(first).status_code for _ in range(3)] == [202] * 3
    refused = _post_events(first)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["detail"].lower()
    assert _post_events(second).status_code == 202  # another token has its own budget


@pytest.mark.parametrize("off", ["", "0", "off"])
def test_an_empty_zero_or_off_ingest_rate_limit_turns_it_off(settings, make_token, off):
    settings.INGEST_RATE_LIMIT = off
    client = _client(make_token("ingest"))
    assert {_post_events(client).status_code for _ in range(5)} == {202}


def test_pings_are_limited_per_address(settings, client):
    settings.PING_RATE_LIMIT = "2/h"
    url = f"/ping/{uuid.uuid4()}"
    assert [client.get(url, REMOTE_ADDR="10.1.0.1").status_code for _ in range(2)] == [404] * 2
    refused = client.get(url, REMOTE_ADDR="10.1.0.1")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "Too many requests" in refused.json()["detail"]
    assert client.get(url, REMOTE_ADDR="10.1.0.2").status_code == 404


def test_admin_login_posts_are_limited_per_address(settings, client):
    # Per hour, not per minute: the windows are fixed, and three slow logins (password
    # hashing, lockout bookkeeping) could straddle a minute boundary and start afresh.
    settings.LOGIN_RATE_LIMIT = "2/h"
    form = {"username": "nobody", "password": "x"}
    for _ in range(2):
        assert client.post("/admin/login/", form, REMOTE_ADDR="10.2.0.1").status_code == 200
    refused = client.post("/admin/login/", form, REMOTE_ADDR="10.2.0.1")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert client.get("/admin/login/", REMOTE_ADDR="10.2.0.1").status_code == 200  # GET free


# --- /health's pacer (common.ratelimit.Pacer), in process memory -----------------

def test_the_pacer_serves_a_burst_then_spaces_requests_then_slows_and_refuses():
    from common.ratelimit import Pacer

    pacer = Pacer(rate="4/s", max_wait=0.5, max_waiting=10)
    assert [pacer.admit("a") for _ in range(4)] == [(0.0, True)] * 4  # the burst
    waits = [pacer.admit("a") for _ in range(2)]
    assert [serve for _, serve in waits] == [True, True]
    assert 0.2 < waits[0][0] <= 0.25 and 0.45 < waits[1][0] <= 0.5, waits  # a turn apart
    assert pacer.admit("a") == (0.5, False)  # its turn is further: slowed, then refused
    assert pacer.admit("b") == (0.0, True)  # per key
    assert pacer.waiting == 3
    for _ in range(3):
        pacer.done_waiting()
    assert pacer.waiting == 0


def test_the_pacer_bounds_the_waiting_room_and_never_waits_when_told_not_to():
    from common.ratelimit import Pacer

    pacer = Pacer(rate="1/s", max_wait=5, max_waiting=1)
    assert pacer.admit("a") == (0.0, True)
    assert pacer.admit("a", can_wait=False) == (0.0, False)  # a sync worker: 429 at once
    wait, serve = pacer.admit("a")
    assert wait > 0 and serve  # takes the only waiting place
    assert pacer.admit("b") == (0.0, True)
    assert pacer.admit("b") == (0.0, False)  # the room is full
    assert Pacer(rate="0", max_wait=0, max_waiting=0).admit("a") == (0.0, True)  # off
