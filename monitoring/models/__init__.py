# One module per aggregate; every model is imported here for Django.
from .events import Event, EventRollup
from .health_samples import ComponentState, HealthStatus, MetricSnapshot, UptimeSample
from .heartbeats import Heartbeat, HeartbeatPing, HeartbeatStatus, PingKind
from .incidents import ActionItem, Incident, IncidentTimelineEntry, Postmortem
from .scheduler import SchedulerHeartbeat

__all__ = [
    "ActionItem", "ComponentState", "Event", "EventRollup", "Heartbeat", "HeartbeatPing",
    "HeartbeatStatus", "HealthStatus", "Incident", "IncidentTimelineEntry", "MetricSnapshot",
    "PingKind", "Postmortem", "SchedulerHeartbeat", "UptimeSample",
]
