"""The access matrix: who may open which admin page and call which API endpoint.

ONE table, walked by tests/accounts/test_role_matrix.py against the running
portal: every admin model registered and every API route in the URLconf must
have a row, and every cell must hold (a new endpoint without a row fails).

Principals: the four staff roles (signed in to the admin; their session also
works on the API) and API tokens holding exactly one scope.
"""

VIEWER, OPERATOR, COMMANDER, ADMIN = "Viewer", "Operator", "Incident Commander", "Admin"
ROLES = (VIEWER, OPERATOR, COMMANDER, ADMIN)
SCOPES = ("ingest", "read", "write", "evidence", "control")
PRINCIPALS = (*ROLES, *SCOPES)

ALL_ROLES = frozenset(ROLES)
NOBODY: frozenset[str] = frozenset()
# Staff able to operate: everything but the Viewer.
OPERATORS = frozenset({OPERATOR, ADMIN})

# --- Admin: model label -> (roles that open the changelist, roles that open "add") ---
_VIEW_ONLY = (ALL_ROLES, NOBODY)          # read-only records (runs, samples, events)
_OPERATED = (ALL_ROLES, OPERATORS)        # operators configure them
ADMIN_MATRIX: dict[str, tuple[frozenset, frozenset]] = {
    "accounts.ApiToken": (ALL_ROLES, frozenset({ADMIN})),
    "accounts.SecurityScan": (ALL_ROLES, NOBODY),  # recorded by `make audit`
    "auth.User": (frozenset({ADMIN}), frozenset({ADMIN})),
    "auth.Group": (frozenset({ADMIN}), frozenset({ADMIN})),
    "admin.LogEntry": (frozenset({ADMIN}), NOBODY),
    "auditlog.LogEntry": (frozenset({ADMIN}), NOBODY),
    "axes.AccessAttempt": (frozenset({ADMIN}), NOBODY),
    "axes.AccessFailureLog": (frozenset({ADMIN}), NOBODY),
    "axes.AccessLog": (frozenset({ADMIN}), NOBODY),
    "otp_static.StaticDevice": (frozenset({ADMIN}), NOBODY),  # enrolment makes devices
    "otp_totp.TOTPDevice": (frozenset({ADMIN}), NOBODY),
    "backups.BackupPolicy": (ALL_ROLES, NOBODY),  # one per kind, made by bootstrap
    "backups.BackupRun": _VIEW_ONLY,
    "backups.RestoreDrill": _VIEW_ONLY,
    "backups.DataStore": _OPERATED,  # the bot's data stores, registered by operators
    # Written by preflight, smoke_test and make staging; the admin only shows them.
    "deployments.Deployment": (ALL_ROLES, NOBODY),
    # Scans are written by the scanner; Operators and Admins start one (the button).
    "codescans.RepoScan": _VIEW_ONLY,
    # Evidence posted by the bot's CI (POST /api/v1/evidence/...); the admin only shows it.
    "codescans.CoverageReport": _VIEW_ONLY,
    "codescans.TestReport": _VIEW_ONLY,
    "codescans.CodeReview": _VIEW_ONLY,
    "deployments.PreflightRun": (ALL_ROLES, NOBODY),
    "deployments.SmokeTestRun": (ALL_ROLES, NOBODY),
    "deployments.DocsCheckRun": (ALL_ROLES, NOBODY),
    "django_celery_beat.ClockedSchedule": (ALL_ROLES, frozenset({ADMIN})),
    "django_celery_beat.CrontabSchedule": (ALL_ROLES, frozenset({ADMIN})),
    "django_celery_beat.IntervalSchedule": (ALL_ROLES, frozenset({ADMIN})),
    "django_celery_beat.PeriodicTask": (ALL_ROLES, frozenset({ADMIN})),
    "django_celery_beat.SolarSchedule": (ALL_ROLES, frozenset({ADMIN})),
    "incidents.ActionItem": (ALL_ROLES, frozenset({OPERATOR, COMMANDER, ADMIN})),
    "alerting.Alert": (ALL_ROLES, NOBODY),  # raised by rules, acknowledged by people
    "alerting.AlertRule": _OPERATED,
    "alerting.Notification": (ALL_ROLES, NOBODY),
    "alerting.NotificationChannel": _OPERATED,
    "monitoring.RpcEndpoint": _OPERATED,
    "monitoring.RpcProbe": _VIEW_ONLY,
    "monitoring.RpcSwitch": _VIEW_ONLY,
    "monitoring.Dependency": _OPERATED,
    "monitoring.DependencyProbe": _VIEW_ONLY,
    "monitoring.ApiKey": _OPERATED,
    "monitoring.ApiKeyCheck": _VIEW_ONLY,
    "alerting.Silence": _OPERATED,
    # The kill switch: Operators and Admins ask (the add form); confirming is an action.
    "alerting.BotControlRequest": (ALL_ROLES, OPERATORS),
    "monitoring.ComponentState": _VIEW_ONLY,
    "monitoring.Event": _VIEW_ONLY,
    "monitoring.EventRollup": _VIEW_ONLY,
    "monitoring.Position": _VIEW_ONLY,  # kept current by the bot's position events
    "monitoring.Heartbeat": _OPERATED,
    "incidents.Incident": (ALL_ROLES, frozenset({OPERATOR, COMMANDER, ADMIN})),
    "monitoring.MetricSnapshot": _VIEW_ONLY,
    "incidents.Postmortem": (ALL_ROLES, NOBODY),  # started from its incident
    "monitoring.SchedulerHeartbeat": _VIEW_ONLY,
    "monitoring.UptimeSample": _VIEW_ONLY,
    "monitoring.BotMinute": _VIEW_ONLY,  # judged by the minute loop
    "monitoring.Baseline": (ALL_ROLES, NOBODY),  # established by action or command
    "monitoring.MeasurementRollup": _VIEW_ONLY,
    "monitoring.PerformanceRegression": _VIEW_ONLY,
    "checklist.ChecklistItem": (ALL_ROLES, NOBODY),  # seeded from the plan by bootstrap
    "checklist.VerificationResult": _VIEW_ONLY,
    "checklist.ReadinessOverview": _VIEW_ONLY,
    "checklist.LaunchDecision": (ALL_ROLES, frozenset({ADMIN})),  # decided by Admins only
    "checklist.Launch": _OPERATED,
    "checklist.LaunchStep": _VIEW_ONLY,  # edited on its launch's page; here its history
    "checklist.PostLaunchReview": _VIEW_ONLY,  # planned from the launch time
    "checklist.SuccessMetric": (ALL_ROLES, NOBODY),  # the plan's metrics, by bootstrap
    # Asked for by Operators (and Admins); approved by another Admin with an action.
    "checklist.Waiver": (ALL_ROLES, OPERATORS),
    "checklist.VerdictEvent": _VIEW_ONLY,  # the verdict's history, written by services
}

# --- API: (route as in the URLconf, method) -> principals allowed ------------------
# A session's write needs the model permission the view names (accounts/permissions.py),
# the one the admin checks: these rows must agree with the admin's, and
# tests/accounts/test_role_matrix.py proves they do, row by row.
READERS = frozenset({*ROLES, "read"})
WRITERS = frozenset({OPERATOR, COMMANDER, ADMIN, "write"})      # incidents, acks
CONFIGURERS = frozenset({OPERATOR, ADMIN, "write"})             # what the bot relies on
INGESTERS = frozenset({OPERATOR, ADMIN, "ingest"})
# The bot's CI token; a session needs codescans' "add" permission (Operators, Admins).
EVIDENCE_POSTERS = frozenset({OPERATOR, ADMIN, "evidence"})
EVERYONE = frozenset(PRINCIPALS)
API_MATRIX: dict[tuple[str, str], frozenset[str]] = {
    ("metrics", "GET"): READERS,
    ("api/v1/readiness", "GET"): READERS,
    ("api/v1/events", "POST"): INGESTERS,
    ("api/v1/heartbeats", "GET"): READERS,
    ("api/v1/heartbeats", "POST"): CONFIGURERS,
    ("api/v1/incidents", "GET"): READERS,
    ("api/v1/incidents", "POST"): WRITERS,
    ("api/v1/incidents/<int:pk>", "GET"): READERS,
    ("api/v1/incidents/<int:pk>", "PATCH"): WRITERS,
    ("api/v1/incidents/<int:pk>/timeline", "POST"): WRITERS,
    ("api/v1/incidents/<int:pk>/postmortem", "GET"): READERS,
    ("api/v1/incidents/<int:pk>/postmortem", "POST"): WRITERS,
    ("api/v1/incidents/<int:pk>/postmortem", "PATCH"): WRITERS,
    ("api/v1/incidents/<int:pk>/postmortem/action-items", "POST"): WRITERS,
    ("api/v1/action-items/<int:pk>", "PATCH"): WRITERS,
    ("api/v1/backups", "GET"): READERS,
    ("api/v1/backups", "POST"): CONFIGURERS,
    ("api/v1/restore-drills", "GET"): READERS,
    ("api/v1/datastores", "GET"): READERS,
    ("api/v1/datastores", "POST"): CONFIGURERS,
    ("api/v1/datastores/<slug:name>", "GET"): READERS,
    ("api/v1/datastores/<slug:name>", "PATCH"): CONFIGURERS,
    # Operators hold no delete permission on backups: Admins and write tokens only.
    ("api/v1/datastores/<slug:name>", "DELETE"): frozenset({ADMIN, "write"}),
    ("api/v1/alert-rules", "GET"): READERS,
    ("api/v1/alert-rules", "POST"): CONFIGURERS,
    ("api/v1/alert-rules/<int:pk>", "GET"): READERS,
    ("api/v1/alert-rules/<int:pk>", "PATCH"): CONFIGURERS,
    ("api/v1/alerts", "GET"): READERS,
    ("api/v1/alerts/<int:pk>/ack", "POST"): WRITERS,
    ("api/v1/notification-channels", "GET"): READERS,
    ("api/v1/notification-channels", "POST"): CONFIGURERS,
    ("api/v1/rpc/active", "GET"): READERS,
    ("api/v1/rpc/endpoints", "GET"): READERS,
    ("api/v1/rpc/endpoints", "POST"): CONFIGURERS,
    ("api/v1/dependencies", "GET"): READERS,
    ("api/v1/dependencies", "POST"): CONFIGURERS,
    ("api/v1/api-keys", "GET"): READERS,
    ("api/v1/api-keys", "POST"): CONFIGURERS,
    ("api/v1/evidence/coverage", "GET"): READERS,
    ("api/v1/evidence/coverage", "POST"): EVIDENCE_POSTERS,
    ("api/v1/evidence/tests", "GET"): READERS,
    ("api/v1/evidence/tests", "POST"): EVIDENCE_POSTERS,
    ("api/v1/evidence/review", "GET"): READERS,
    ("api/v1/evidence/review", "POST"): EVIDENCE_POSTERS,
    # A person's acts (issue 19): sessions only, a token is refused whatever its scope.
    ("api/v1/waivers", "GET"): READERS,
    ("api/v1/waivers", "POST"): frozenset({OPERATOR, ADMIN}),
    ("api/v1/waivers/<int:pk>/approve", "POST"): frozenset({OPERATOR, ADMIN}),  # the
    ("api/v1/waivers/<int:pk>/reject", "POST"): frozenset({OPERATOR, ADMIN}),   # service
    # checks the Admin role and that the approver is not the asker.
    ("api/v1/decisions", "GET"): READERS,
    ("api/v1/decisions", "POST"): frozenset({ADMIN}),
    ("api/v1/decisions/<int:pk>", "GET"): READERS,
    # Any role may reach it; the service accepts only the roles GO_SIGNOFF_ROLES names.
    ("api/v1/decisions/<int:pk>/signoffs", "POST"): ALL_ROLES,
    # Inbound alerts (issue 20.3): a write token (or an Operator's session), or the
    # integration's own URL token in the path, checked by the view (an unknown one is 404).
    ("api/v1/integrations/alertmanager", "POST"): CONFIGURERS,
    ("api/v1/integrations/webhook", "POST"): CONFIGURERS,
    ("api/v1/integrations/alertmanager/<str:token>", "POST"): EVERYONE,
    ("api/v1/integrations/webhook/<str:token>", "POST"): EVERYONE,
    # The kill switch (issue 21.3): a control token or an Operator's/Admin's session; the
    # confirmation of an exit_all is a second person's act, sessions only.
    ("api/v1/bot/control", "POST"): frozenset({OPERATOR, ADMIN, "control"}),
    ("api/v1/bot/control/<int:pk>/confirm", "POST"): frozenset({OPERATOR, ADMIN}),
    # The schema and its viewer are public: they describe, they hold no data.
    ("api/schema", "GET"): EVERYONE,
    ("api/docs", "GET"): EVERYONE,
}
