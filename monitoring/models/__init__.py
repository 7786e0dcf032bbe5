# One module per aggregate; every model is imported here for Django.
from .incidents import ActionItem, Incident, IncidentTimelineEntry, Postmortem
from .scheduler import SchedulerHeartbeat

__all__ = ["ActionItem", "Incident", "IncidentTimelineEntry", "Postmortem", "SchedulerHeartbeat"]
