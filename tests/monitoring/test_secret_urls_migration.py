"""The migration that encrypts the URLs already stored, and masks older audit entries."""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from opsportal.encryption import decrypt_text

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("monitoring", "0004_merge_0003_alerting_0003_performance")]
URL = "https://rpc.example/v2/a1b2c3d4e5f6a7b8c9d0e1f2?api-key=Old-Key-1234"


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_existing_rows_are_encrypted_and_old_audit_entries_masked():
    migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO monitoring_rpcendpoint (name, url, priority, enabled, "
                           "is_active, consecutive_failures) VALUES (%s, %s, 0, %s, %s, 0)",
                           ["old", URL, True, False])
            cursor.execute("SELECT id FROM monitoring_rpcendpoint WHERE name = 'old'")
            pk = cursor.fetchone()[0]
            cursor.execute("SELECT id FROM django_content_type WHERE app_label = 'monitoring' "
                           "AND model = 'rpcendpoint'")
            content_type = cursor.fetchone()[0]
            # What auditlog's default masking kept: the second half, key included.
            half = "*" * (len(URL) // 2) + URL[len(URL) // 2:]
            cursor.execute(
                "INSERT INTO auditlog_logentry (content_type_id, object_pk, object_id, "
                "object_repr, action, changes_text, changes, timestamp, additional_data) "
                "VALUES (%s, %s, %s, 'old', 0, '', %s, CURRENT_TIMESTAMP, NULL)",
                [content_type, str(pk), pk, json.dumps({"url": ["None", half]})])
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    with connection.cursor() as cursor:
        cursor.execute("SELECT url FROM monitoring_rpcendpoint WHERE id = %s", [pk])
        stored = cursor.fetchone()[0]
        cursor.execute("SELECT changes FROM auditlog_logentry WHERE object_pk = %s", [str(pk)])
        changes = cursor.fetchone()[0]
    assert "Old-Key-1234" not in stored and decrypt_text(stored) == URL
    changes = json.loads(changes) if isinstance(changes, str) else changes
    assert changes == {"url": [None, "********"]}
