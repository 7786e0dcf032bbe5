# One module per aggregate's admin; importing registers them.
from . import scheduler  # noqa: F401
