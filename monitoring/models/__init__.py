# One module per aggregate; every model is imported here for Django.
from .scheduler import SchedulerHeartbeat

__all__ = ["SchedulerHeartbeat"]
