from django.apps import AppConfig


class OpsportalConfig(AppConfig):
    """The configuration as an app: it wires the others (bootstrap, the minute loop)
    and owns the deploy-time system checks."""

    name = "opsportal"
    verbose_name = "opsportal"

    def ready(self):
        from opsportal import checks  # noqa: F401  (registers the opsportal.W0xx deploy checks)
