"""The audit log is append-only in the database itself, lockout resets are audited, and
command-line writes name their operator."""

import os
import subprocess
import sys

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from accounts.models import ApiToken
from accounts.services import api_token_create
from common.audit_guard import audit_guard_installed
from tests.processes import ROOT, child_env

PYTHON = sys.executable


def _refused(sql: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)


@pytest.mark.django_db
def test_raw_sql_cannot_change_or_delete_audit_rows():
    api_token_create(name="x", scopes=["read"])
    entry = LogEntry.objects.get()
    assert audit_guard_installed(connection)
    _refused("UPDATE auditlog_logentry SET object_repr = 'forged'")
    _refused("UPDATE auditlog_logentry SET actor_id = NULL, object_repr = 'forged'")
    _refused("DELETE FROM auditlog_logentry")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # no deferred FK check left pending
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _refused("TRUNCATE auditlog_logentry")
    with pytest.raises(DatabaseError), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        call_command("auditlogflush", "--yes")
    entry.refresh_from_db()
    assert entry.object_repr == "x (" + ApiToken.objects.get().prefix + "…)"
    assert LogEntry.objects.count() == 1


@pytest.mark.django_db
def test_deleting_a_user_keeps_the_entries_they_made(client, portal_admin):
    from auditlog.context import set_actor

    leaver = User.objects.create_user("leaver", email="leaver@example.org", is_staff=True)
    with set_actor(leaver):
        api_token_create(name="by leaver", scopes=["read"])
    entry = LogEntry.objects.get(actor=leaver)
    client.force_login(portal_admin)
    response = client.post(f"/admin/auth/user/{leaver.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    entry.refresh_from_db()  # Django set actor_id to NULL: the one UPDATE allowed
    assert entry.actor is None and entry.actor_email == "leaver@example.org"


def _lockout(username: str) -> AccessAttempt:
    return AccessAttempt.objects.create(
        username=username, ip_address="10.0.0.5", user_agent="test", get_data="",
        post_data="", http_accept="*/*", path_info="/admin/login/", failures_since_start=5)


@pytest.mark.django_db
def test_a_lockout_reset_from_the_admin_is_audited_with_its_actor(portal_admin):
    attempt = _lockout("bob")
    assert not LogEntry.objects.filter(object_pk=str(attempt.pk),
                                       content_type__app_label="axes").exists()
    client = Client(REMOTE_ADDR="10.9.0.9")
    client.force_login(portal_admin)
    response = client.post("/admin/axes/accessattempt/", {
        "action": "unlock", "_selected_action": [attempt.pk]})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    entry = LogEntry.objects.get(content_type__app_label="axes", object_pk=str(attempt.pk))
    assert entry.action == LogEntry.Action.DELETE
    assert entry.actor == portal_admin and entry.remote_addr == "10.9.0.9"
    assert entry.changes["username"] == ["bob", None]


def _manage(tmp_path, *args, **env):
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT,
                            env=child_env(tmp_path, **env), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.django_db(transaction=True)
def test_command_line_writes_name_their_operator(tmp_path):
    env = {k: v for k, v in os.environ.items() if k in ("AUDIT_ACTOR", "SUDO_USER")}
    assert not env, "the test sets these itself"
    _manage(tmp_path, "create_api_token", "prometheus", "--scopes", "read")
    token = ApiToken.objects.get(name="prometheus")
    entry = LogEntry.objects.get_for_object(token).get()
    import getpass

    assert entry.actor_email == f"cli:{getpass.getuser()}"
    assert entry.additional_data["command"] == "create_api_token"

    # A deploy script names the person; a lockout lifted from the shell is audited too.
    attempt = _lockout("carol")
    _manage(tmp_path, "axes_reset_username", "carol", AUDIT_ACTOR="alice")
    entry = LogEntry.objects.get(content_type__app_label="axes", object_pk=str(attempt.pk))
    assert entry.action == LogEntry.Action.DELETE and entry.actor_email == "cli:alice"
    assert entry.additional_data["command"] == "axes_reset_username"


@pytest.mark.django_db(transaction=True)
def test_bootstrap_names_its_operator(tmp_path):
    _manage(tmp_path, "bootstrap", SUDO_USER="dave", ADMIN_PASSWORD="Boot-Strap-Pw-1")
    entries = LogEntry.objects.filter(additional_data__command="bootstrap")
    assert entries.exists()
    assert set(entries.values_list("actor_email", flat=True)) == {"cli:dave"}


@pytest.mark.django_db
def test_preflight_fails_while_the_triggers_are_missing():
    from common.audit_guard import audit_guard_uninstall
    from deployments.preflight import FAIL, PASS, check_audit_append_only

    assert check_audit_append_only()[0] == PASS
    audit_guard_uninstall(connection)  # rolled back with the test's transaction
    assert check_audit_append_only()[0] == FAIL
