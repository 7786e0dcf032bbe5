# The audit table refuses UPDATE and DELETE (issue 15, item 8): opsportal/audit_guard.py.

from django.db import migrations

from opsportal.audit_guard import audit_guard_install, audit_guard_uninstall


def install(apps, schema_editor):
    audit_guard_install(schema_editor.connection)


def uninstall(apps, schema_editor):
    audit_guard_uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("auditlog", "0017_add_actor_email"),
        # That migration masks URLs in older audit entries: before the table locks.
        ("monitoring", "0005_encrypted_urls"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
