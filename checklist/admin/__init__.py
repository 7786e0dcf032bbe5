# One module per aggregate's admin; importing registers them.
from checklist.admin import decisions, items, launch, metrics, waivers  # noqa: F401
