"""The role matrix: which model permissions each staff role holds.

Keys are "app_label" (every model of the app) or "app_label.model"; values are
the actions (view, add, change, delete). The most specific entry wins.
"""

PORTAL_APPS = ("accounts", "monitoring", "alerting", "incidents", "backups", "checklist",
               "django_celery_beat", "deployments", "codescans")

ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "Viewer": {app: ("view",) for app in PORTAL_APPS},
    "Operator": {
        "accounts": ("view",),
        "monitoring": ("view", "add", "change"),
        "alerting": ("view", "add", "change"),
        "incidents": ("view", "add", "change"),
        "backups": ("view", "add", "change"),
        "checklist": ("view", "add", "change"),
        # Decisions are signed by Admins only (the admin also refuses anyone else).
        "checklist.launchdecision": ("view",),
        "django_celery_beat": ("view", "change"),
        # Deployment records are written by the commands; people read them.
        "deployments": ("view",),
        # Scans of the bot's repository: read, and started ("add") from the admin button.
        "codescans": ("view", "add"),
    },
    "Incident Commander": {
        **{app: ("view",) for app in PORTAL_APPS},
        "incidents.incident": ("view", "add", "change"),
        "incidents.incidenttimelineentry": ("view", "add", "change"),
        "incidents.postmortem": ("view", "add", "change"),
        "incidents.actionitem": ("view", "add", "change", "delete"),
        "alerting.alert": ("view", "change"),
    },
    "Admin": {
        **{app: ("view", "add", "change", "delete") for app in (*PORTAL_APPS, "auth")},
        # The audit trail (auditlog and Django's admin log) is read-only for everyone.
        "auditlog": ("view",),
        "admin": ("view",),
        # Lockouts (django-axes): seen and lifted (the unlock action deletes attempts).
        "axes": ("view", "delete"),
        # Two-factor devices: seen, and removed for a user who lost theirs (re-enrols).
        "otp_totp": ("view", "delete"),
        "otp_static": ("view", "delete"),
    },
}


def role_permission_codenames(role: str, all_perms) -> list[str]:
    """Every "app_label.codename" the role holds, given the installed permissions."""
    matrix = ROLE_PERMISSIONS[role]
    result = []
    for key in all_perms:
        app_label, codename = key.split(".", 1)
        action, _, model = codename.partition("_")
        actions = matrix.get(f"{app_label}.{model}", matrix.get(app_label, ()))
        if action in actions:
            result.append(key)
    return result
