# One module per aggregate; every model is imported here for Django.
from .alerts import (
    Alert,
    AlertEvent,
    AlertRule,
    Notification,
    NotificationChannel,
    Silence,
)
from .events import Event, EventRollup
from .health_samples import ComponentState, HealthStatus, MetricSnapshot, UptimeSample
from .heartbeats import Heartbeat, HeartbeatPing, HeartbeatStatus, PingKind
from .incidents import ActionItem, Incident, IncidentTimelineEntry, Postmortem
from .performance import Baseline, MeasurementRollup, PerformanceRegression
from .rpc import RpcEndpoint, RpcProbe, RpcSwitch
from .scheduler import SchedulerHeartbeat

__all__ = [
    "ActionItem", "Alert", "AlertEvent", "AlertRule", "Baseline", "ComponentState", "Event",
    "EventRollup", "HealthStatus", "Heartbeat", "HeartbeatPing", "HeartbeatStatus", "Incident",
    "IncidentTimelineEntry", "MeasurementRollup", "MetricSnapshot", "Notification",
    "NotificationChannel", "PerformanceRegression", "PingKind", "Postmortem", "RpcEndpoint",
    "RpcProbe", "RpcSwitch", "SchedulerHeartbeat", "Silence", "UptimeSample",
]
