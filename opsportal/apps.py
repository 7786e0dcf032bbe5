from django.apps import AppConfig


class OpsportalConfig(AppConfig):
    """The project package as an app: it owns `bootstrap` and cross-app wiring."""

    name = "opsportal"
    verbose_name = "opsportal"

    def ready(self):
        from django.contrib import admin

        admin.site.site_header = "opsportal administration"
        admin.site.site_title = "opsportal"
        admin.site.index_title = "Operations portal"

        from opsportal.audit import audit_register

        audit_register()

        from opsportal.fields import strict_string_fields_install

        strict_string_fields_install()
