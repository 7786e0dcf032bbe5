# One module per aggregate's admin; importing registers them.
from . import alerts, rpc, scheduler  # noqa: F401
