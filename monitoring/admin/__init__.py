# One module per aggregate's admin; importing registers them.
from . import alerts, incidents, postmortems, rpc, scheduler  # noqa: F401
