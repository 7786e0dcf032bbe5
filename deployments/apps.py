from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    """Deployment rehearsals: preflight and smoke-test runs, and recorded deployments."""

    name = "deployments"
    verbose_name = "Deployments"
    default_auto_field = "django.db.models.BigAutoField"
