# One module per aggregate; every model is imported here for Django.
from monitoring.models.events import Event, EventCounter, EventRollup
from monitoring.models.health_samples import (
    ComponentState,
    HealthStatus,
    MetricSnapshot,
    UptimeSample,
)
from monitoring.models.heartbeats import Heartbeat, HeartbeatPing, HeartbeatStatus, PingKind
from monitoring.models.performance import Baseline, MeasurementRollup, PerformanceRegression
from monitoring.models.positions import Position
from monitoring.models.probes import (
    ApiKey,
    ApiKeyCheck,
    Dependency,
    DependencyProbe,
    KeyOutcome,
    Provider,
)
from monitoring.models.rpc import RpcEndpoint, RpcProbe, RpcSwitch
from monitoring.models.scheduler import SchedulerHeartbeat
from monitoring.models.uptime import BotMinute, BotState

__all__ = [
    "ApiKey", "ApiKeyCheck", "Baseline", "BotMinute", "BotState", "ComponentState",
    "Dependency", "DependencyProbe", "Event", "EventCounter", "EventRollup", "HealthStatus",
    "Heartbeat", "HeartbeatPing", "HeartbeatStatus", "KeyOutcome", "MeasurementRollup",
    "MetricSnapshot", "Provider",
    "PerformanceRegression", "PingKind", "Position", "RpcEndpoint", "RpcProbe", "RpcSwitch",
    "SchedulerHeartbeat", "UptimeSample",
]
