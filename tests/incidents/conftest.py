"""Incidents' tests share monitoring's stand-ins: webhook receivers, fake RPC servers."""

from tests.monitoring.conftest import (  # noqa: F401  (fixtures)
    T0,
    _forget_health_state,
    page_channel,
    plan_rules,
    rpc_server,
    webhook,
)
