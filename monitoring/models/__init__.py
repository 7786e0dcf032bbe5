# One module per aggregate; every model is imported here for Django.
from .events import Event, EventRollup
from .health_samples import ComponentState, HealthStatus, MetricSnapshot, UptimeSample
from .heartbeats import Heartbeat, HeartbeatPing, HeartbeatStatus, PingKind
from .incidents import ActionItem, Incident, IncidentTimelineEntry, Postmortem
from .performance import Baseline, MeasurementRollup, PerformanceRegression
from .scheduler import SchedulerHeartbeat

__all__ = [
    "ActionItem", "Baseline", "ComponentState", "Event", "EventRollup", "Heartbeat",
    "HeartbeatPing", "HeartbeatStatus", "HealthStatus", "Incident", "IncidentTimelineEntry",
    "MeasurementRollup", "MetricSnapshot", "PerformanceRegression", "PingKind", "Postmortem",
    "SchedulerHeartbeat", "UptimeSample",
]
