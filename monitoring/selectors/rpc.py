"""Reads for RPC endpoints: the active one and the state keys alert rules watch."""

from django.conf import settings
from django.db.models import QuerySet

from monitoring.models import RpcEndpoint, RpcSwitch


def rpc_endpoints_list() -> QuerySet[RpcEndpoint]:
    return RpcEndpoint.objects.all()


def rpc_active() -> RpcEndpoint | None:
    return RpcEndpoint.objects.filter(is_active=True).first()


def rpc_active_down(endpoint: RpcEndpoint | None = None) -> bool:
    endpoint = endpoint or rpc_active()
    return bool(endpoint and endpoint.consecutive_failures >= settings.RPC_DOWN_AFTER_FAILURES)


def rpc_state_values() -> dict:
    """The RPC keys alert rules and /metrics read."""
    endpoints = list(RpcEndpoint.objects.filter(enabled=True))
    active = next((e for e in endpoints if e.is_active), None)
    return {
        "active_rpc": active.name if active else None,
        "rpc_active_down": int(rpc_active_down(active)) if active else 0,
        "rpc_active_consecutive_failures": active.consecutive_failures if active else 0,
        # The active endpoint and every preferred one it replaced: "RPC endpoint down"
        # keeps firing after a failover until the endpoint that went down is back.
        "rpc_preferred_consecutive_failures": max(
            [e.consecutive_failures for e in endpoints
             if e.is_active or e.priority < active.priority], default=0) if active else 0,
        "rpc_active_latency_ms": active.last_latency_ms if active else None,
        "rpc_endpoints_healthy": sum(1 for e in endpoints if e.healthy),
    }


def rpc_switches_at(*, at, reason_prefix: str = "") -> list:
    """The RPC switches made at `at` (one minute pass), optionally by kind of reason."""
    qs = RpcSwitch.objects.filter(at=at).select_related("from_endpoint", "to_endpoint")
    return list(qs.filter(reason__startswith=reason_prefix) if reason_prefix else qs)
