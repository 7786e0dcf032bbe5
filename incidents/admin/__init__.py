# The incident and postmortem admins; importing registers them.
from incidents.admin import incidents, postmortems  # noqa: F401
