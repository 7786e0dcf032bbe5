"""Audit log (django-auditlog): which models are audited, and the API token as actor.

auditlog's middleware records the signed-in user and the client address for every
create, change and delete of a registered model. API writes authenticate with a
token inside DRF, after that middleware ran: `audit_note_token` adds the token to
the same request context, so each entry says which token made the change.
"""

from auditlog.context import auditlog_value
from auditlog.registry import auditlog
from django.apps import apps

# label -> fields left out (noise written by pings, runs in progress, or hashes).
AUDITED_MODELS: dict[str, list[str]] = {
    "accounts.ApiToken": ["last_used_at"],
    "backups.BackupPolicy": [],
    "backups.BackupRun": ["manifest", "host", "pid"],
    "backups.RestoreDrill": ["details", "host", "pid"],
    "monitoring.Heartbeat": ["last_ping_at", "last_ping_kind", "last_start_at"],
    "monitoring.Incident": ["updated_at"],
    "monitoring.Postmortem": ["updated_at"],
    "monitoring.ActionItem": [],
    "monitoring.AlertRule": [],
    "monitoring.NotificationChannel": [],
    "monitoring.Silence": [],
    "monitoring.RpcEndpoint": [],
    "monitoring.RpcSwitch": [],
    "checklist.ChecklistItem": [],
    "checklist.LaunchDecision": [],
    "checklist.Launch": [],
    "checklist.LaunchStep": [],
    "checklist.SuccessMetric": [],
    "auth.User": ["last_login", "password"],
    "auth.Group": [],
}
# Values kept out of the log even as a change: the entry says "changed", masked.
# Channel (Apprise) and RPC URLs carry bot tokens and API keys in them.
MASKED_FIELDS: dict[str, list[str]] = {
    "accounts.ApiToken": ["key_hash"],
    "monitoring.NotificationChannel": ["url"],
    "monitoring.RpcEndpoint": ["url"],
}


def audit_register() -> None:
    for label, exclude in AUDITED_MODELS.items():
        model = apps.get_model(label)
        if not auditlog.contains(model):
            auditlog.register(model, exclude_fields=exclude,
                              mask_fields=MASKED_FIELDS.get(label, []),
                              m2m_fields={"groups"} if label == "auth.User" else set())


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
