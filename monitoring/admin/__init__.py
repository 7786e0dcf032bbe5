# One module per aggregate's admin; importing registers them.
from . import incidents, postmortems, scheduler  # noqa: F401
