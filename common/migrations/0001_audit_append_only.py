# The audit table refuses UPDATE and DELETE (issue 15, item 8): common/audit_guard.py.

from django.db import migrations

from common.audit_guard import audit_guard_install, audit_guard_uninstall


def install(apps, schema_editor):
    audit_guard_install(schema_editor.connection)


def uninstall(apps, schema_editor):
    audit_guard_uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [("auditlog", "0017_add_actor_email")]

    operations = [migrations.RunPython(install, uninstall)]
