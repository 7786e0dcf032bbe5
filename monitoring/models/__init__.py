# One module per aggregate; every model is imported here for Django.
from .alerts import (
    Alert,
    AlertEvent,
    AlertRule,
    Notification,
    NotificationChannel,
    Silence,
)
from .incidents import ActionItem, Incident, IncidentTimelineEntry, Postmortem
from .rpc import RpcEndpoint, RpcProbe, RpcSwitch
from .scheduler import SchedulerHeartbeat

__all__ = [
    "ActionItem", "Alert", "AlertEvent", "AlertRule", "Incident", "IncidentTimelineEntry",
    "Notification", "NotificationChannel", "Postmortem", "RpcEndpoint", "RpcProbe",
    "RpcSwitch", "SchedulerHeartbeat", "Silence",
]
