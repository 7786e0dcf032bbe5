# One module per aggregate; every model is imported here for Django.
from .events import Event, EventRollup
from .health_samples import ComponentState, HealthStatus, MetricSnapshot, UptimeSample
from .heartbeats import Heartbeat, HeartbeatPing, HeartbeatStatus, PingKind
from .scheduler import SchedulerHeartbeat

__all__ = [
    "ComponentState", "Event", "EventRollup", "Heartbeat", "HeartbeatPing",
    "HeartbeatStatus", "HealthStatus", "MetricSnapshot", "PingKind",
    "SchedulerHeartbeat", "UptimeSample",
]
