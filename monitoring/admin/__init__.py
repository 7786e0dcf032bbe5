# One module per aggregate's admin; importing registers them.
from . import events, health_samples, heartbeats, scheduler  # noqa: F401
