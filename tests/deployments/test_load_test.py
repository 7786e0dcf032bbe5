"""A small piece of `make staging`: the Locust load test against a real gunicorn."""

import importlib.util

import pytest

from tests.deployments.helpers import ROOT
from tests.processes import child_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def staging_module():
    spec = importlib.util.spec_from_file_location("staging", ROOT / "deploy" / "staging.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_short_load_test_reports_rate_p95_and_errors_per_endpoint(gunicorn, make_token,
                                                                    tmp_path):
    token = make_token("read,ingest")
    with gunicorn() as base:
        load = staging_module().load_test_run(
            base_url=base, token=token, users=2, seconds=3, prefix=tmp_path / "locust",
            env=child_env(tmp_path), timeout=60)
    assert load["requests"] > 0 and load["rps"] > 0 and load["p95_ms"] > 0
    assert set(load["endpoints"]) == {"POST /api/v1/events", "GET /metrics", "GET /health"}
    assert load["endpoints"]["GET /health"]["failures"] == 0
    assert load["endpoints"]["GET /metrics"]["failures"] == 0
