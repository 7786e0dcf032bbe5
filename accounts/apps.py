from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Access: API tokens and roles"

    def ready(self):
        from accounts import schema  # noqa: F401  registers the OpenAPI auth extension
