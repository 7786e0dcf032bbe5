"""Audit log (django-auditlog): which models are audited, and who the actor is.

auditlog's middleware records the signed-in user and the client address for every
create, change and delete of a registered model. API writes authenticate with a
token inside DRF, after that middleware ran: `audit_note_token` adds the token to
the same request context, so each entry says which token made the change. Commands
run through manage.py name their operator (`audit_command_line`). The table itself
refuses UPDATE and DELETE (common/audit_guard.py).
"""

import getpass
import os
import socket

from auditlog.context import auditlog_value
from auditlog.registry import auditlog
from auditlog.signals import pre_log
from django.apps import apps

# label -> fields left out (noise written by pings, runs in progress, or hashes).
AUDITED_MODELS: dict[str, list[str]] = {
    "accounts.ApiToken": ["last_used_at"],
    "backups.BackupPolicy": [],
    "backups.BackupRun": ["manifest", "host", "pid"],
    "backups.RestoreDrill": ["details", "host", "pid"],
    "backups.DataStore": ["updated_at"],
    "monitoring.Heartbeat": ["last_ping_at", "last_ping_kind", "last_start_at"],
    "incidents.Incident": ["updated_at"],
    "incidents.Postmortem": ["updated_at"],
    "incidents.ActionItem": [],
    "alerting.AlertRule": [],
    "alerting.NotificationChannel": [],
    "alerting.Silence": [],
    "monitoring.RpcEndpoint": [],
    "monitoring.RpcSwitch": [],
    # Probe state columns change every minute; an API key's secret is left out entirely.
    "monitoring.Dependency": ["probe_claimed_at", "last_probe_at", "last_ok", "last_status_code",
                              "last_latency_ms", "last_reason", "consecutive_failures",
                              "cert_expires_at", "cert_checked_at"],
    "monitoring.ApiKey": ["secret", "check_claimed_at", "last_checked_at", "last_outcome",
                          "last_reason", "last_success_at"],
    "checklist.ChecklistItem": [],
    "checklist.LaunchDecision": [],
    "checklist.Waiver": [],
    "checklist.DecisionSignoff": [],
    "checklist.Launch": [],
    "checklist.LaunchStep": [],
    "checklist.SuccessMetric": [],
    "auth.User": ["last_login", "password"],
    "auth.Group": [],
    # Lockouts (django-axes): only their deletion is logged, which is a lockout reset
    # (the admin's Unlock or delete, `axes_reset*`, a successful login, expiry).
    "axes.AccessAttempt": ["get_data", "post_data", "http_accept", "path_info"],
}
# Models of which only deletions are logged (failed logins are axes' own records).
DELETES_ONLY = {"axes.AccessAttempt"}
# Values kept out of the log even as a change: the entry says "changed", masked.
# Channel (Apprise) and RPC URLs carry bot tokens and API keys in them: they are
# masked by mask_url (the host and the harmless parts stay readable), not by
# auditlog's default, which hides only the first half of the text.
MASKED_FIELDS: dict[str, list[str]] = {
    "backups.DataStore": ["url"],
    "accounts.ApiToken": ["key_hash"],
    "alerting.NotificationChannel": ["url"],
    "monitoring.RpcEndpoint": ["url"],
    "monitoring.Dependency": ["url"],
}
MASK_CALLABLES = {
    "backups.DataStore": "common.redaction.mask_url",
    "alerting.NotificationChannel": "common.redaction.mask_url",
    "monitoring.RpcEndpoint": "common.redaction.mask_url",
    "monitoring.Dependency": "common.redaction.mask_url",
}


def audit_register() -> None:
    for label, exclude in AUDITED_MODELS.items():
        model = apps.get_model(label)
        if not auditlog.contains(model):
            auditlog.register(model, exclude_fields=exclude,
                              mask_fields=MASKED_FIELDS.get(label, []),
                              mask_callable=MASK_CALLABLES.get(label),
                              m2m_fields={"groups"} if label == "auth.User" else set())
    pre_log.connect(_deletes_only, dispatch_uid="common.audit.deletes_only")


def _deletes_only(sender, instance, action, **kwargs):
    from auditlog.models import LogEntry

    if sender._meta.label in DELETES_ONLY and action != LogEntry.Action.DELETE:
        return False  # auditlog's pre_log: False skips the entry
    return None


def audit_note_token(token) -> None:
    """Name the API token as the actor of the writes of the current request."""
    try:
        context = auditlog_value.get()
    except LookupError:
        return  # outside a request (a command, a task): nothing to label
    context["additional_data"] = {"api_token": token.name, "api_token_prefix": token.prefix}
    context["actor_email"] = f"token:{token.name} (ops_{token.prefix})"


def audit_record_update(*, instance, changes: dict[str, tuple]) -> None:
    """Log a change written with a conditional queryset update(), which sends no signal.

    `changes` maps a field to (old, new); the actor and address come from the request.
    """
    from auditlog.models import LogEntry

    LogEntry.objects.log_create(
        instance, action=LogEntry.Action.UPDATE,
        changes={name: [None if old is None else str(old), None if new is None else str(new)]
                 for name, (old, new) in changes.items()})


def command_line_actor(argv: list[str]) -> dict:
    """The audit context of a manage.py command: `cli:<operator>` and what ran.

    The operator is AUDIT_ACTOR if set (deploy scripts name the person), else the
    user behind sudo, else the OS user. Arguments are not recorded: some carry DSNs.
    """
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        os_user = f"uid {os.getuid()}"
    who = os.environ.get("AUDIT_ACTOR") or os.environ.get("SUDO_USER") or os_user
    command = argv[1] if len(argv) > 1 else ""
    return {"actor": None, "remote_addr": None, "actor_email": f"cli:{who}"[:254],
            "additional_data": {"command": command, "os_user": os_user,
                                "host": socket.gethostname()}}

