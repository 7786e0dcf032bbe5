"""Alert rules and silences: create, update, and the plan's rules for bootstrap."""

from datetime import datetime

from django.db import transaction

from alerting.models import Action, AlertRule, Severity, Silence
from backups.selectors import BACKUP_KINDS

RB = "/docs/runbook/"
# The plan's four rules (CONTRACT.md) and the ones the launch adds. Bootstrap
# creates a missing rule and never overwrites one: an operator's edits stay.
PLAN_RULES = [
    dict(name="RPC endpoint down", metric_key="rpc_preferred_consecutive_failures",
         operator=">=", threshold=2, for_seconds=0, severity=Severity.WARNING,
         actions=[Action.FAILOVER_RPC, Action.NOTIFY], labels={"component": "rpc"},
         runbook_url=f"{RB}#rpc-endpoint-down"),
    dict(name="Error rate high", metric_key="error_rate", operator=">", threshold=0.05,
         for_seconds=300, min_events=10, severity=Severity.PAGE, actions=[Action.PAGE],
         labels={"component": "trading"}, depends_on="RPC endpoint down",
         runbook_url=f"{RB}#error-rate-high"),
    dict(name="WebSocket disconnected", metric_key="websocket_connected", operator="==",
         threshold=0, for_seconds=60, severity=Severity.WARNING,
         actions=[Action.RECONNECT_WEBSOCKET, Action.NOTIFY],
         labels={"component": "websocket"}, runbook_url=f"{RB}#websocket-disconnected"),
    dict(name="Trade success rate low", metric_key="trade_success_rate", operator="<",
         threshold=0.95, for_seconds=600, min_events=10, severity=Severity.WARNING,
         actions=[Action.OPEN_INCIDENT, Action.NOTIFY], labels={"component": "trading"},
         depends_on="RPC endpoint down", runbook_url=f"{RB}#trade-success-rate-low"),
    dict(name="Trades without TP/SL", metric_key="trades_without_tpsl_24h", operator=">",
         threshold=0, for_seconds=0, severity=Severity.PAGE, actions=[Action.PAGE],
         labels={"component": "trading"}, runbook_url=f"{RB}#trades-without-tpsl"),
    # Issue 21: funds at risk. The incident opens before the pause so the pause's answer
    # lands on its timeline; resuming entries is left to a person (the kill switch).
    dict(name="Funds at risk: position without TP/SL", metric_key="positions_without_tpsl",
         operator=">", threshold=0, for_seconds=0, severity=Severity.PAGE,
         actions=[Action.PAGE, Action.OPEN_INCIDENT, Action.PAUSE_ENTRIES],
         labels={"component": "trading", "incident_severity": "sev1"},
         runbook_url=f"{RB}#funds-at-risk"),
    dict(name="Bot control failed", metric_key="bot_control_failures_1h", operator=">",
         threshold=0, for_seconds=0, severity=Severity.PAGE, actions=[Action.PAGE],
         labels={"component": "trading"}, runbook_url=f"{RB}#bot-control-failed"),
    # Issue 21.4: risk guards. Created disabled with placeholder limits: only the
    # operator knows the bankroll. Set the threshold, then enable (docs/alerting.md).
    # `optional`: readiness does not count them missing while disabled.
    dict(name="Daily loss over limit", metric_key="daily_loss_sol", operator=">",
         threshold=1, for_seconds=0, severity=Severity.PAGE, enabled=False, optional=True,
         actions=[Action.PAGE, Action.PAUSE_ENTRIES], labels={"component": "trading"},
         runbook_url=f"{RB}#risk-limit-reached"),
    dict(name="Stop-loss streak", metric_key="sl_streak", operator=">=", threshold=5,
         for_seconds=0, severity=Severity.PAGE, enabled=False, optional=True,
         actions=[Action.PAGE, Action.PAUSE_ENTRIES], labels={"component": "trading"},
         runbook_url=f"{RB}#risk-limit-reached"),
    dict(name="Drawdown over limit", metric_key="drawdown_sol_24h", operator=">",
         threshold=1, for_seconds=0, severity=Severity.PAGE, enabled=False, optional=True,
         actions=[Action.PAGE, Action.PAUSE_ENTRIES], labels={"component": "trading"},
         runbook_url=f"{RB}#risk-limit-reached"),
    dict(name="Database backup stale", metric_key="backup_database_stale", operator=">",
         threshold=0, for_seconds=0, severity=Severity.WARNING, actions=[Action.NOTIFY],
         labels={"component": "backups"}, runbook_url=f"{RB}#backups-stale"),
    dict(name="Heartbeat late", metric_key="heartbeats_late", operator=">", threshold=0,
         for_seconds=0, severity=Severity.WARNING, actions=[Action.NOTIFY],
         labels={"component": "heartbeats"}, runbook_url=f"{RB}#heartbeat-late"),
    # Issue 15: a failed run of any kind, one rule per kind, so each page names its kind,
    # resolves with that kind's next success and can be silenced alone (docs/alerting.md).
    *(dict(name=f"{label} backup failed", metric_key=f"backup_failed.{kind}", operator=">",
           threshold=0, for_seconds=0, severity=Severity.WARNING, actions=[Action.NOTIFY],
           labels={"component": "backups", "backup_kind": kind},
           runbook_url=f"{RB}#backup-failed")
      for kind, label in BACKUP_KINDS.items()),
    # Issue 9: open PerformanceRegression rows (the check applied each baseline's
    # threshold and min_samples); the notification lists each one's numbers.
    dict(name="Performance regression", metric_key="perf_regressions", operator=">",
         threshold=0, for_seconds=0, severity=Severity.WARNING, actions=[Action.NOTIFY],
         labels={"component": "performance"}, runbook_url=f"{RB}#performance-regression"),
    # Issue 18: what the bot depends on; each notification names the offenders.
    dict(name="Dependency down", metric_key="dependency_down_count", operator=">",
         threshold=0, for_seconds=0, severity=Severity.WARNING, actions=[Action.NOTIFY],
         labels={"component": "dependencies"}, runbook_url=f"{RB}#dependency-down"),
    dict(name="TLS certificate expiring", metric_key="certs_expiring_count", operator=">",
         threshold=0, for_seconds=0, severity=Severity.WARNING, actions=[Action.NOTIFY],
         labels={"component": "dependencies"}, runbook_url=f"{RB}#certificate-expiring"),
    dict(name="API key invalid", metric_key="api_keys_invalid_count", operator=">",
         threshold=0, for_seconds=0, severity=Severity.PAGE, actions=[Action.PAGE],
         labels={"component": "dependencies"}, runbook_url=f"{RB}#api-key-invalid"),
]
EDITABLE = ("name", "metric_key", "operator", "threshold", "for_seconds", "min_events",
            "severity", "actions", "labels", "depends_on", "runbook_url", "renotify_seconds",
            "escalate_after_seconds", "enabled")


def alert_rule_create(**fields) -> AlertRule:
    """Create a rule after full validation (metric key, operator, actions...)."""
    rule = AlertRule(**{k: v for k, v in fields.items() if k in EDITABLE})
    rule.full_clean()
    rule.save()
    return rule


def alert_rule_update(*, rule: AlertRule, **fields) -> AlertRule:
    """Change some fields of a rule; validated like a new one."""
    for k, v in fields.items():
        if k in EDITABLE:
            setattr(rule, k, v)
    rule.full_clean()
    rule.save()
    return rule


def alert_rules_bootstrap() -> list[str]:
    """Idempotent: create the plan's rules that are missing, upserted by name."""
    created = []
    with transaction.atomic():
        for spec in PLAN_RULES:
            spec = dict(spec)
            parent = spec.pop("depends_on", None)
            if parent:
                spec["depends_on"] = AlertRule.objects.filter(name=parent).first()
            if not AlertRule.objects.filter(name=spec["name"]).exists():
                alert_rule_create(**spec)
                created.append(spec["name"])
    return [f"alert rules: {len(PLAN_RULES)} ({len(created)} new)"]


def silence_create(*, starts_at: datetime, ends_at: datetime, reason: str,
                   rule: AlertRule | None = None, labels: dict | None = None,
                   created_by=None) -> Silence:
    """A maintenance window for one rule or for every rule carrying the labels."""
    silence = Silence(rule=rule, labels=labels or {}, starts_at=starts_at, ends_at=ends_at,
                      reason=reason, created_by=created_by)
    silence.full_clean()
    silence.save()
    return silence


def silence_save(*, silence: Silence, actor=None) -> Silence:
    """Save a silence edited by hand (validated by its form); a new one records `actor` as
    its creator."""
    if silence._state.adding:
        silence.created_by = actor
    silence.save()
    return silence
