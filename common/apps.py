from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Shared code every app may import: it imports no project app. As an app it
    owns the audit trail's admin and its append-only guard (a migration)."""

    name = "common"
    verbose_name = "Audit trail"

    def ready(self):
        from django.contrib import admin

        admin.site.site_header = "opsportal administration"
        admin.site.site_title = "opsportal"
        admin.site.index_title = "Operations portal"

        from common.audit import audit_register

        audit_register()

        from common.fields import strict_string_fields_install

        strict_string_fields_install()
