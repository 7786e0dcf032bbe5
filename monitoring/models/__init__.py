# One module per aggregate; every model is imported here for Django.
from monitoring.models.alerts import (
    Alert,
    AlertEvent,
    AlertRule,
    Notification,
    NotificationChannel,
    Silence,
)
from monitoring.models.events import Event, EventRollup
from monitoring.models.health_samples import (
    ComponentState,
    HealthStatus,
    MetricSnapshot,
    UptimeSample,
)
from monitoring.models.heartbeats import Heartbeat, HeartbeatPing, HeartbeatStatus, PingKind
from monitoring.models.incidents import ActionItem, Incident, IncidentTimelineEntry, Postmortem
from monitoring.models.performance import Baseline, MeasurementRollup, PerformanceRegression
from monitoring.models.rpc import RpcEndpoint, RpcProbe, RpcSwitch
from monitoring.models.scheduler import SchedulerHeartbeat

__all__ = [
    "ActionItem", "Alert", "AlertEvent", "AlertRule", "Baseline", "ComponentState", "Event",
    "EventRollup", "HealthStatus", "Heartbeat", "HeartbeatPing", "HeartbeatStatus", "Incident",
    "IncidentTimelineEntry", "MeasurementRollup", "MetricSnapshot", "Notification",
    "NotificationChannel", "PerformanceRegression", "PingKind", "Postmortem", "RpcEndpoint",
    "RpcProbe", "RpcSwitch", "SchedulerHeartbeat", "Silence", "UptimeSample",
]
