"""/health's non-critical `rpc` check: the active endpoint answered its last probe."""

import pytest
from django.utils import timezone

from monitoring.services import rpc
from monitoring.services.health import health_evaluate
from tests.monitoring.conftest import rpc_server

pytestmark = pytest.mark.django_db(transaction=True)


def rpc_check(client):
    return health_evaluate()[1]["checks"]["rpc"]


def test_the_rpc_check_follows_the_active_endpoints_probes(client):
    # Nothing registered: the portal cannot vouch for any RPC (issue 19.5).
    assert (rpc_check(client)["ok"], rpc_check(client)["detail"]) == (False,
                                                                      "no endpoint configured")
    with rpc_server() as server:
        endpoint = rpc.rpc_endpoint_create(name="primary", url=server.url)
        assert rpc_check(client)["detail"] == "primary has not been probed yet"
        rpc.rpc_endpoint_probe(endpoint=endpoint, now=timezone.now())
        check = rpc_check(client)
        assert (check["ok"], check["critical"]) == (True, False)
        server.state["ok"] = False
        rpc.rpc_endpoint_probe(endpoint=endpoint, now=timezone.now())
        check = rpc_check(client)
        assert (check["ok"], check["detail"]) == (False, "primary failed its last 1 probe(s)")
        assert health_evaluate()[0] == 200  # degraded, not unhealthy
