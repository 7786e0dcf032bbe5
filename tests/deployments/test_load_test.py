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
    # Numbers only: on a shared 2-core machine a 3-second run proves the plumbing, not speed.
    assert load["requests"] > 0 and load["rps"] > 0, load
    assert set(load["endpoints"]) <= {"POST /api/v1/events", "GET /metrics", "GET /health"}, load
    assert load["failures"] == sum(e["failures"] for e in load["endpoints"].values()), load
