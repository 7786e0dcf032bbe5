"""A database or cache that cannot be reached: 503 with Retry-After, never a 500.

The real refusing and hanging servers are in tests/faults/; these cover the
mapping itself, in process, and the rate limits' fail-open path on a real refusal.
"""

import logging
import uuid

import pytest
import redis
from django.db import OperationalError
from django.test import Client, RequestFactory

from common import errors
from tests.processes import free_port

pytestmark = pytest.mark.django_db


def test_an_api_view_whose_cache_is_down_answers_503_json(read_client, monkeypatch):
    def down(**kwargs):
        raise redis.TimeoutError("Timeout reading from 127.0.0.1:6379")

    monkeypatch.setattr("monitoring.api.metrics.metrics_current", down)
    response = read_client.get("/metrics")
    assert response.status_code == 503
    assert response.json() == {"detail": "The cache is unavailable; retry later."}
    assert response["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)


def test_a_page_whose_database_is_down_answers_a_plain_503():
    request = RequestFactory().get("/dashboard/")
    try:
        raise OperationalError("connection to server at 127.0.0.1 failed: password=hunter2x")
    except OperationalError:
        response = errors.handler500(request)  # as Django calls it, inside its `except`
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")
    assert b"database is unavailable" in response.content and b"hunter2x" not in response.content


def test_any_other_error_stays_a_500():
    request = RequestFactory().get("/api/v1/alerts")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = errors.handler500(request)
    assert response.status_code == 500


def test_rate_limits_fail_open_and_leave_a_refusing_cache_alone(settings, caplog):
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    client = Client()
    with caplog.at_level(logging.WARNING, logger="common.ratelimit"):
        first = client.get(f"/ping/{uuid.uuid4()}")
        second = client.get(f"/ping/{uuid.uuid4()}")
    assert first.status_code == second.status_code == 404  # served: no such heartbeat
    skipped = [r for r in caplog.records if "rate limit skipped" in r.getMessage()]
    assert len(skipped) == 1  # the second request did not ask the cache again
