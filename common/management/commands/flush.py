"""Django's flush, with the audit table's append-only triggers lifted while it runs.

flush empties every table, the audit log included (development, and the test suite
between transactional tests); on SQLite it does so with DELETE, which the triggers
refuse, and on PostgreSQL with TRUNCATE, which they refuse too.
"""

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections

from common.audit_guard import audit_guard_lifted


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        with audit_guard_lifted(connection):
            return super().handle(**options)
