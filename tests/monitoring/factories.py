"""Heartbeats and RPC endpoints, made through monitoring.services."""

import factory

from monitoring.models import Heartbeat, RpcEndpoint
from monitoring.services.heartbeats import heartbeat_create
from monitoring.services.rpc import rpc_endpoint_create
from tests.factories import service_factory


class HeartbeatFactory(service_factory(heartbeat_create)):
    class Meta:
        model = Heartbeat

    name = factory.Sequence(lambda n: f"job {n}")
    period_seconds = 60
    grace_seconds = 30


class RpcEndpointFactory(service_factory(rpc_endpoint_create)):
    class Meta:
        model = RpcEndpoint

    name = factory.Sequence(lambda n: f"rpc {n}")
    url = factory.Sequence(lambda n: f"https://rpc{n}.example.com")
    priority = 0
