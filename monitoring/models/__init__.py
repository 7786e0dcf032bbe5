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
from .rpc import RpcEndpoint, RpcProbe, RpcSwitch
from .scheduler import SchedulerHeartbeat

__all__ = [
    "ActionItem", "Alert", "AlertEvent", "AlertRule", "ComponentState", "Event", "EventRollup",
    "Heartbeat", "HeartbeatPing", "HeartbeatStatus", "HealthStatus", "Incident",
    "IncidentTimelineEntry", "MetricSnapshot", "Notification", "NotificationChannel",
    "PingKind", "Postmortem", "RpcEndpoint", "RpcProbe", "RpcSwitch", "SchedulerHeartbeat",
    "Silence", "UptimeSample",
]
