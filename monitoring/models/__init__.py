# One module per aggregate; every model is imported here for Django.
from .alerts import (
    Alert,
    AlertEvent,
    AlertRule,
    Notification,
    NotificationChannel,
    Silence,
)
from .rpc import RpcEndpoint, RpcProbe, RpcSwitch
from .scheduler import SchedulerHeartbeat

__all__ = [
    "Alert", "AlertEvent", "AlertRule", "Notification", "NotificationChannel",
    "RpcEndpoint", "RpcProbe", "RpcSwitch", "SchedulerHeartbeat", "Silence",
]
