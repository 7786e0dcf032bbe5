"""Alerting: rules, alerts (one row per episode) with their append-only history,
notification channels, deliveries and silences."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from backups.selectors import BACKUP_KINDS
from common.encryption import EncryptedCharField
from common.secret_urls import refuse_masked


class Severity(models.TextChoices):
    INFO = "info", "info"
    WARNING = "warning", "warning"
    PAGE = "page", "page"


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.PAGE: 2}


class Operator(models.TextChoices):
    GT = ">", ">"
    GE = ">=", ">="
    LT = "<", "<"
    LE = "<=", "<="
    EQ = "==", "=="
    NE = "!=", "!="


class Action(models.TextChoices):
    PAGE = "page", "page"
    NOTIFY = "notify", "notify"
    FAILOVER_RPC = "failover_rpc", "failover_rpc"
    RECONNECT_WEBSOCKET = "reconnect_websocket", "reconnect_websocket"
    OPEN_INCIDENT = "open_incident", "open_incident"
    PAUSE_ENTRIES = "pause_entries", "pause_entries"


# What a rule may watch: the /metrics JSON keys (dotted for nested values) and the
# RPC, heartbeat and backup state keys the minute loop adds to them.
METRIC_KEYS = (
    "trades_24h", "trades_per_hour", "error_rate", "trade_success_rate",
    "tp_triggers_24h", "sl_triggers_24h", "tp_sl_trigger_rate", "bags_share_24h",
    "jupiter_share_24h", "partner_fees_sol_24h", "trades_without_tpsl_24h",
    "confirmation_ms.p50", "confirmation_ms.p95", "confirmation_ms.p99",
    "demo_success_rate_24h", "vibe_p95_ms_24h", "websocket_connected",
    "db_pool_utilization", "uptime_24h", "uptime_30d", "bot_degraded_24h", "bot_degraded_30d",
    "portal_uptime_24h", "portal_uptime_30d",
    "rpc_active_down", "rpc_active_consecutive_failures", "rpc_active_latency_ms",
    "rpc_preferred_consecutive_failures",
    "rpc_endpoints_healthy", "heartbeats_late", "backup_database_stale",
    "backup_database_age_seconds", "perf_regressions",
    # Issue 18: dependency probes, TLS certificates and API keys.
    "dependency_down_count", "cert_min_days_left", "certs_expiring_count",
    "api_keys_invalid_count",
    "open_positions", "positions_without_tpsl", "realized_pnl_sol_24h", "sl_streak",
    "daily_loss_sol", "drawdown_sol_24h",
    # Failed bot control requests (a pause, resume or exit the bot did not take), 1 h.
    "bot_control_failures_1h",
    # 1 while the newest finished backup of the kind failed (alert rules only).
    *(f"backup_failed.{kind}" for kind in BACKUP_KINDS),
)
# Families with a key per member: rate_limit_usage.<api>.
METRIC_KEY_PREFIXES = ("rate_limit_usage.",)


# perf_p95_ratio.<measurement>: measurement names may hold dots (http.<route>).
PERF_RATIO_PREFIX = "perf_p95_ratio."


def validate_metric_key(value: str) -> None:
    if value.startswith(PERF_RATIO_PREFIX) and len(value) > len(PERF_RATIO_PREFIX):
        return
    if value in METRIC_KEYS or (value.startswith(METRIC_KEY_PREFIXES)
                                and len(value.split(".")) == 2 and value.split(".")[1]):
        return
    raise ValidationError(f"unknown metric key {value!r}; choose one of "
                          f"{', '.join(METRIC_KEYS)}, rate_limit_usage.<api> or "
                          f"perf_p95_ratio.<measurement>")


class RuleSource(models.TextChoices):
    METRIC = "metric", "a /metrics condition the portal evaluates"
    ALERTMANAGER = "alertmanager", "inbound: Alertmanager webhook"
    WEBHOOK = "webhook", "inbound: generic JSON webhook"


class AlertRule(models.Model):
    """A metric condition the portal evaluates, or an inbound integration (Alertmanager,
    a JSON webhook) whose alerts arrive from outside: both share one alert lifecycle
    (dedup, silences, suppression, notifications, escalation, incidents, history)."""

    name = models.CharField(max_length=100, unique=True)
    source = models.CharField(max_length=12, choices=RuleSource.choices,
                              default=RuleSource.METRIC)
    metric_key = models.CharField(
        max_length=100, validators=[validate_metric_key], blank=True,
        help_text="A key of /metrics (dotted for nested values, e.g. confirmation_ms.p95); "
                  "empty for an inbound integration.")
    operator = models.CharField(max_length=2, choices=Operator.choices)
    threshold = models.FloatField()
    for_seconds = models.PositiveIntegerField(
        default=0, help_text="How long the condition must hold before the alert fires.")
    min_events = models.PositiveIntegerField(
        default=0, help_text="Fewer events than this behind the value: the condition is "
        "not evaluated (a quiet hour never pages).")
    severity = models.CharField(max_length=10, choices=Severity.choices,
                                default=Severity.WARNING)
    actions = models.JSONField(default=list, blank=True)
    labels = models.JSONField(default=dict, blank=True,
                              help_text='e.g. {"component": "rpc"}; silences match on them.')
    depends_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="dependents",
        help_text="While this parent rule's alert is firing, this rule's alerts are held "
        "back as its consequence.")
    runbook_url = models.CharField(max_length=300, blank=True)
    renotify_seconds = models.PositiveIntegerField(
        default=0, help_text="Re-send an unacknowledged page this often (0: never).")
    escalate_after_seconds = models.PositiveIntegerField(
        default=900, help_text="An unacknowledged page reaches the next escalation level "
        "of channels after this long.")
    enabled = models.BooleanField(default=True)
    # An inbound integration's URL token (Alertmanager's webhook config carries only a
    # URL): its first characters to find it, a SHA-256 of the whole to check it.
    inbound_token_prefix = models.CharField(max_length=16, blank=True, db_index=True,
                                            editable=False)
    inbound_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Set by each evaluation that ran to its end: "All monitoring operational" needs
    # every enabled rule evaluated by the last minute loop, not just configured.
    last_evaluated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_inbound(self) -> bool:
        return self.source != RuleSource.METRIC

    def clean(self):
        if self.source == RuleSource.METRIC and not self.metric_key:
            raise ValidationError({"metric_key": "a metric rule needs a metric key"})
        if not isinstance(self.actions, list) or not all(
                isinstance(a, str) for a in self.actions):
            raise ValidationError({"actions": "must be a list of action names"})
        unknown = sorted(set(self.actions) - set(Action.values))
        if unknown:
            raise ValidationError({"actions": f"unknown action(s) {', '.join(unknown)}; "
                                   f"choose from {', '.join(Action.values)}"})
        if not isinstance(self.labels, dict) or not all(
                isinstance(v, str) for v in self.labels.values()):
            raise ValidationError({"labels": "must be an object of string values"})
        if self.depends_on_id and self.depends_on_id == self.pk:
            raise ValidationError({"depends_on": "a rule cannot depend on itself"})

    @property
    def condition_text(self) -> str:
        if self.is_inbound:
            return f"inbound alerts ({self.get_source_display()})"
        return f"{self.metric_key} {self.operator} {self.threshold:g}"


class AlertState(models.TextChoices):
    PENDING = "pending", "pending"
    FIRING = "firing", "firing"
    RESOLVED = "resolved", "resolved"


OPEN_STATES = (AlertState.PENDING, AlertState.FIRING)


class Alert(models.Model):
    """One episode of a rule's condition: pending → firing → resolved.

    An inbound alert (from Alertmanager or a webhook) is one episode per `fingerprint`
    of its integration's rule, with the sender's title, labels and severity."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    fingerprint = models.CharField(max_length=64, blank=True, default="",
                                   help_text="the sender's identity of an inbound alert")
    title = models.CharField(max_length=300, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True,
                                help_text="the sender's severity; empty: the rule's")
    external_url = models.CharField(max_length=500, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True,
                                   help_text="the sender's end time: past it, resolved")
    state = models.CharField(max_length=10, choices=AlertState.choices,
                             default=AlertState.PENDING)
    started_at = models.DateTimeField(help_text="When the condition first held.")
    fired_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True, help_text="Last value seen.")
    # When the remediation actions ran (they run even during a silence).
    actions_at = models.DateTimeField(null=True, blank=True)
    # When the firing notification and the actions went out; null while held back
    # by a silence or a firing parent rule.
    notified_at = models.DateTimeField(null=True, blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveIntegerField(default=0)
    silenced = models.BooleanField(default=False)
    suppressed = models.BooleanField(default=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    acknowledged_label = models.CharField(max_length=150, blank=True)
    # The incident the rule's open_incident action opened for this episode.
    incident = models.ForeignKey("incidents.Incident", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="alerts")

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["state", "-started_at"])]
        constraints = [
            # At most one open episode per rule: the database itself refuses the
            # second pending alert a concurrent evaluator tries to create.
            models.UniqueConstraint(fields=["rule", "fingerprint"],
                                    condition=Q(state__in=OPEN_STATES),
                                    name="one_open_alert_per_rule"),
        ]

    def __str__(self):
        name = f"{self.rule.name}: {self.title}" if self.title else self.rule.name
        return f"{name} [{self.state}] since {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def effective_severity(self) -> str:
        return self.severity or self.rule.severity


class AlertEventKind(models.TextChoices):
    PENDING = "pending", "pending"
    FIRED = "fired", "fired"
    RESOLVED = "resolved", "resolved"
    CLEARED = "cleared", "cleared before firing"
    SILENCED = "silenced", "silenced"
    SUPPRESSED = "suppressed", "suppressed by parent"
    NOTIFIED = "notified", "notified"
    NOTIFY_FAILED = "notify_failed", "notification failed"
    ACTION = "action", "action"
    ACTION_FAILED = "action_failed", "action failed"
    ACKNOWLEDGED = "acknowledged", "acknowledged"
    ESCALATED = "escalated", "escalated"
    RENOTIFIED = "renotified", "re-notified"


class AlertEvent(models.Model):
    """Append-only history of an alert: every transition, action and delivery."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=AlertEventKind.choices)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.at:%H:%M:%S} {self.kind}: {self.text}"


class NotificationChannel(models.Model):
    name = models.CharField(max_length=100, unique=True)
    # Carries bot tokens and keys: encrypted at rest, masked below Admin (docs/security.md).
    url = EncryptedCharField(max_length=500, validators=[refuse_masked],
                             help_text="An Apprise URL: json://, mailto://, "
                             "tgram://, pagerduty://, slack://, ...")
    min_severity = models.CharField(max_length=10, choices=Severity.choices,
                                    default=Severity.WARNING)
    escalation_level = models.PositiveIntegerField(
        default=0, help_text="0: told when an alert fires; 1, 2, ...: told when an "
        "unacknowledged page escalates to that level.")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["escalation_level", "name"]

    def __str__(self):
        return self.name


class NotificationKind(models.TextChoices):
    FIRING = "firing", "firing"
    RESOLVED = "resolved", "resolved"
    ESCALATION = "escalation", "escalation"
    RENOTIFY = "renotify", "re-notify"
    TEST = "test", "test"
    # Not an alert: news the channels must hear (a launch GO revoked, ...).
    ANNOUNCEMENT = "announcement", "announcement"


# Kinds that mean "this channel heard the alert fire": it is owed the resolve.
HEARD_FIRING = (NotificationKind.FIRING, NotificationKind.ESCALATION)


class Notification(models.Model):
    """One message to one channel; undelivered ones are retried by later evaluations."""

    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="notifications")
    channel = models.ForeignKey(NotificationChannel, on_delete=models.CASCADE,
                                related_name="notifications")
    kind = models.CharField(max_length=12, choices=NotificationKind.choices)
    title = models.CharField(max_length=250)
    body = models.TextField()
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["delivered_at", "attempts"])]

    def __str__(self):
        return f"{self.kind} → {self.channel}: {self.title}"


class Silence(models.Model):
    """A maintenance window: matching alerts are recorded but not sent."""

    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="silences")
    labels = models.JSONField(default=dict, blank=True,
                              help_text="Matches rules carrying all of these labels.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self):
        target = self.rule.name if self.rule_id else ", ".join(
            f"{k}={v}" for k, v in self.labels.items())
        return f"silence {target} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"

    def clean(self):
        if not self.rule_id and not self.labels:
            raise ValidationError("A silence needs a rule or labels to match.")
        if self.ends_at and self.starts_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "must be after starts_at"})

    def matches(self, rule: AlertRule, alert_labels: dict | None = None) -> bool:
        """This rule (or an alert of it carrying `alert_labels`) is silenced."""
        if self.rule_id:
            return self.rule_id == rule.pk
        labels = {**rule.labels, **(alert_labels or {})}
        return all(labels.get(k) == v for k, v in self.labels.items())


class ControlAction(models.TextChoices):
    PAUSE_ENTRIES = "pause_entries", "pause entries (no new positions)"
    RESUME_ENTRIES = "resume_entries", "resume entries"
    EXIT_ALL = "exit_all", "exit all positions"


class ControlState(models.TextChoices):
    PENDING_CONFIRMATION = "pending_confirmation", "pending confirmation"
    SENT = "sent", "sent, the bot took it"
    CONFIRMED = "confirmed", "confirmed and sent, the bot took it"
    LAPSED = "lapsed", "lapsed unconfirmed"
    FAILED = "failed", "failed: the bot did not take it"


class BotControlRequest(models.Model):
    """One order to the bot (pause, resume, exit all): who asked, why, and its answer.

    Asked by a person (API or admin) or by an alert rule's pause_entries action.
    exit_all waits for a second person's confirmation until `expires_at`.
    """

    action = models.CharField(max_length=20, choices=ControlAction.choices)
    reason = models.TextField()
    state = models.CharField(max_length=24, choices=ControlState.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    requested_label = models.CharField(max_length=150, help_text="user, token or rule")
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="control_requests")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "created_at"], name="alert_control_state")]

    def __str__(self):
        return f"{self.action} by {self.requested_label} ({self.state})"
