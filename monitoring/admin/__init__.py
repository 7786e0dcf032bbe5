# One module per aggregate's admin; importing registers them.
from monitoring.admin import (  # noqa: F401
    alerts,
    events,
    health_samples,
    heartbeats,
    incidents,
    performance,
    postmortems,
    rpc,
    scheduler,
)
