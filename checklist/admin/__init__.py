# One module per aggregate's admin; importing registers them.
from . import decisions, items, launch, metrics  # noqa: F401
