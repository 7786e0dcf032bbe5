# One module per aggregate's admin; importing registers them.
from monitoring.admin import (  # noqa: F401
    events,
    health_samples,
    heartbeats,
    performance,
    probes,
    rpc,
    scheduler,
)
