"""The audit table refuses UPDATE and DELETE in the database itself (triggers).

The admin already offers no way to change an entry; these triggers also stop the
portal's own database user (a bug, a shell, auditlog's `auditlogflush`) from editing
or deleting history. One UPDATE stays allowed: Django setting `actor_id` to NULL, and
nothing else, when the actor's user is deleted (auditlog's ON DELETE SET NULL); the
entry keeps its actor_email. On PostgreSQL TRUNCATE is refused as well.

Written as SQL by hand: django-pgtrigger would install its triggers through
migrations of the third-party auditlog app, and knows no SQLite.

`audit_guard_lifted` is the one privileged way round it, used by `manage.py flush`
(development and the test suite): on PostgreSQL it needs the table's owner
(ALTER TABLE ... DISABLE TRIGGER), inside one transaction.
"""

import contextlib

from django.db import transaction

TABLE = "auditlog_logentry"
PG_FUNCTION = "opsportal_audit_append_only"
PG_TRIGGER = "auditlog_logentry_append_only"
PG_TRUNCATE_TRIGGER = "auditlog_logentry_no_truncate"
SQLITE_TRIGGERS = ("auditlog_logentry_no_update", "auditlog_logentry_no_delete")
MESSAGE = "auditlog_logentry is append-only"

_PG_INSTALL = f"""
CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;  -- the actor's user was deleted: ON DELETE SET NULL
    END IF;
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP;
END
$$;
DROP TRIGGER IF EXISTS {PG_TRIGGER} ON {TABLE};
CREATE TRIGGER {PG_TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}();
DROP TRIGGER IF EXISTS {PG_TRUNCATE_TRIGGER} ON {TABLE};
CREATE TRIGGER {PG_TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}();
"""
_PG_UNINSTALL = f"""
DROP TRIGGER IF EXISTS {PG_TRUNCATE_TRIGGER} ON {TABLE};
DROP TRIGGER IF EXISTS {PG_TRIGGER} ON {TABLE};
DROP FUNCTION IF EXISTS {PG_FUNCTION}();
"""


def _sqlite_install(connection) -> list[str]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, TABLE)]
    # SQLite has no row-to-JSON: the "only actor_id went NULL" test names every column
    # the table has now (reinstalled by each flush; see audit_guard_installed).
    unchanged = " AND ".join(f"NEW.{quote(c)} IS OLD.{quote(c)}"
                             for c in columns if c != "actor_id")
    update, delete = SQLITE_TRIGGERS
    return [
        f"DROP TRIGGER IF EXISTS {update}",
        f"CREATE TRIGGER {update} BEFORE UPDATE ON {TABLE} "
        f"WHEN NOT (OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL AND {unchanged}) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END",
        f"DROP TRIGGER IF EXISTS {delete}",
        f"CREATE TRIGGER {delete} BEFORE DELETE ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END",
    ]


def audit_guard_install(connection) -> None:
    """Create (or re-create) the triggers; other databases get none."""
    if connection.vendor == "postgresql":
        statements = [_PG_INSTALL]
    elif connection.vendor == "sqlite":
        statements = _sqlite_install(connection)
    else:
        return
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def audit_guard_uninstall(connection) -> None:
    if connection.vendor == "postgresql":
        statements = [_PG_UNINSTALL]
    elif connection.vendor == "sqlite":
        statements = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]
    else:
        return
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def audit_guard_installed(connection) -> bool:
    """Whether the triggers are in place (a SQLite table rebuild by a later auditlog
    migration would drop them: preflight checks)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass "
                           "AND tgname IN (%s, %s) AND tgenabled <> 'D'",
                           [TABLE, PG_TRIGGER, PG_TRUNCATE_TRIGGER])
            return cursor.fetchone()[0] == 2
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                           "AND tbl_name = %s AND name IN (%s, %s)", [TABLE, *SQLITE_TRIGGERS])
            return cursor.fetchone()[0] == 2
    return False


@contextlib.contextmanager
def audit_guard_lifted(connection):
    """Inside one transaction, the audit table may be emptied (flush). Privileged: on
    PostgreSQL only the table's owner may disable its triggers."""
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
            elif connection.vendor == "sqlite":
                audit_guard_uninstall(connection)
        yield
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
        elif connection.vendor == "sqlite":
            audit_guard_install(connection)
