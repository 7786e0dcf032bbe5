"""Alert rule evaluation: pending → firing → resolved, one page per episode.

Concurrency: each rule is evaluated in its own transaction holding its rule
row lock (`select_for_update`), and every transition is a conditional UPDATE
(`... WHERE state = 'pending'`) whose row count says who owns it, so two
evaluators running at once never fire, notify or act twice. Network calls
(notifications, bot control) happen after the commit, claimed by the same
conditional updates, so a slow channel never holds a lock.
"""

import logging
import operator as op
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from alerting.models import (
    HEARD_FIRING,
    Action,
    Alert,
    AlertEvent,
    AlertEventKind,
    AlertRule,
    AlertState,
    Notification,
    NotificationChannel,
    NotificationKind,
    Severity,
    Silence,
)
from alerting.services import alert_actions, notify
from incidents import services as incidents
from incidents.models import TimelineKind
from monitoring.selectors import alert_state
from monitoring.selectors.metrics import metric_lookup
from monitoring.selectors.performance import performance_regression_lines
from monitoring.selectors.probes import probe_alert_lines

logger = logging.getLogger(__name__)

OPERATORS = {">": op.gt, ">=": op.ge, "<": op.lt, "<=": op.le, "==": op.eq, "!=": op.ne}
NOTIFYING_ACTIONS = {Action.PAGE, Action.NOTIFY}
BACKUP_FAILED = "backup_failed."


def metric_value(values: Mapping[str, Any], key: str) -> float | None:
    """The value at `key` (metric_lookup) as a number; None if absent or not a number."""
    value = metric_lookup(values, key)
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def rule_condition(*, rule: AlertRule, values: Mapping[str, Any],
                   samples: Mapping[str, int]) -> tuple[bool, float | None, str]:
    """(holds, value, why). No value, or fewer events than min_events, never holds."""
    value = metric_value(values, rule.metric_key)
    if value is None:
        return False, None, "no value"
    if rule.min_events:
        n = samples.get(rule.metric_key, samples.get(rule.metric_key.split(".")[0], 0))
        if n < rule.min_events:
            return False, value, f"only {n} events (< {rule.min_events})"
    return OPERATORS[rule.operator](value, rule.threshold), value, ""


def _event(alert: Alert, now: datetime, kind: str, text: str = "", **data) -> None:
    AlertEvent.objects.create(alert=alert, at=now, kind=kind, text=text, data=data)


def _silence_for(rule: AlertRule, silences: list[Silence],
                 alert: Alert | None = None) -> Silence | None:
    labels = alert.labels if alert is not None else None
    return next((s for s in silences if s.matches(rule, labels)), None)


def _parent_firing(rule: AlertRule) -> AlertRule | None:
    if rule.depends_on_id and Alert.objects.filter(
            rule_id=rule.depends_on_id, state=AlertState.FIRING).exists():
        return rule.depends_on
    return None


def _message(alert: Alert, kind: str, now: datetime,
             outcomes: tuple[str, ...] | list[str] = ()) -> tuple:
    rule = alert.rule
    title = f"[{kind.upper()}:{alert.effective_severity}] {rule.name}"
    if rule.is_inbound:
        title += f": {alert.title}"
        lines = [alert.annotations.get("description") or alert.annotations.get("summary")
                 or alert.title,
                 "Labels: " + ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))]
        if alert.external_url:
            lines.append(f"Source: {alert.external_url}")
    else:
        lines = [f"{rule.condition_text} (value {alert.value:g})" if alert.value is not None
                 else rule.condition_text]
    if kind == NotificationKind.RESOLVED:
        lines.append(f"Resolved at {now:%Y-%m-%d %H:%M:%S} UTC after firing since "
                     f"{alert.fired_at:%H:%M:%S}.")
    else:
        lines.append(f"Firing since {alert.fired_at:%Y-%m-%d %H:%M:%S} UTC.")
    if rule.metric_key.startswith("perf_"):
        lines += performance_regression_lines()  # measurement, baseline, current, ratio
    if rule.metric_key.startswith(BACKUP_FAILED):
        lines += alert_state.backup_alert_lines(kind=rule.metric_key[len(BACKUP_FAILED):],
                                                now=now)
    lines += probe_alert_lines(metric_key=rule.metric_key, now=now)
    lines += [f"Action {o}" for o in outcomes]
    lines.append(f"Runbook: {notify.runbook_link(rule.runbook_url) or '(none)'}")
    lines.append(f"Alert: {settings.PORTAL_URL}/admin/alerting/alert/{alert.pk}/change/")
    return title, "\n".join(lines)


def _heard_firing(alert: Alert) -> list[NotificationChannel]:
    ids = Notification.objects.filter(alert=alert, kind__in=HEARD_FIRING).values("channel_id")
    return list(NotificationChannel.objects.filter(pk__in=ids))


def _queue(alert, channels, kind, now, outcomes=()) -> list[Notification]:
    title, body = _message(alert, kind, now, list(outcomes))
    return notify.notifications_queue(alert=alert, channels=channels, kind=kind, title=title,
                                      body=body, now=now)


def _step(*, rule: AlertRule, now: datetime, values, samples, silences) -> tuple[list, list]:
    """One rule's transition in one locked transaction; (summary lines, work after commit)."""
    lines: list[str] = []
    after: list = []
    AlertRule.objects.select_for_update().filter(pk=rule.pk).first()  # serialises evaluators
    alert = Alert.objects.select_related("rule", "incident").filter(
        rule=rule, state__in=(AlertState.PENDING, AlertState.FIRING)).first()
    holds, value, why = rule_condition(rule=rule, values=values, samples=samples)
    if not holds:
        if alert is None:
            return lines, after
        Alert.objects.filter(pk=alert.pk).update(value=value)
        alert.value = value
        return _resolve(alert, now, why or "condition cleared")

    if alert is None:
        try:
            with transaction.atomic():
                alert = Alert.objects.create(rule=rule, started_at=now, value=value)
        except IntegrityError:  # another evaluator opened this episode first
            return lines, after
        alert.rule = rule
        _event(alert, now, AlertEventKind.PENDING, f"{rule.condition_text}: value {value:g}")
        lines.append(f"{rule.name}: pending")
    else:
        Alert.objects.filter(pk=alert.pk).update(value=value)
        alert.value = value
    if alert.state == AlertState.PENDING:
        if now - alert.started_at < timedelta(seconds=rule.for_seconds):
            return lines, after
        if not Alert.objects.filter(pk=alert.pk, state=AlertState.PENDING).update(
                state=AlertState.FIRING, fired_at=now):
            return lines, after
        alert.state, alert.fired_at = AlertState.FIRING, now
        _event(alert, now, AlertEventKind.FIRED, f"{rule.condition_text}: value {value:g}")
        lines.append(f"{rule.name}: firing")
    return lines + _firing(alert=alert, now=now, silences=silences, after=after), after


def _firing(*, alert: Alert, now: datetime, silences, after: list) -> list[str]:
    """A firing alert: first notification and actions, or escalation / re-notify."""
    rule, lines = alert.rule, []
    parent = _parent_firing(rule)
    if parent and alert.notified_at is None:
        if Alert.objects.filter(pk=alert.pk, suppressed=False).update(suppressed=True):
            _event(alert, now, AlertEventKind.SUPPRESSED,
                   f"held back: parent rule {parent.name!r} is firing", parent=parent.name)
            lines.append(f"{rule.name}: held back by {parent.name}")
        return lines
    if alert.actions_at is None and Alert.objects.filter(
            pk=alert.pk, actions_at__isnull=True).update(actions_at=now):
        alert.actions_at = now
        after.append(("actions", alert))
    silence = _silence_for(rule, silences, alert)
    if alert.notified_at is None:
        if silence:
            if Alert.objects.filter(pk=alert.pk, silenced=False).update(silenced=True):
                _event(alert, now, AlertEventKind.SILENCED, f"silenced: {silence.reason}",
                       silence=silence.pk)
                lines.append(f"{rule.name}: silenced")
            return lines
        if Alert.objects.filter(pk=alert.pk, notified_at__isnull=True).update(
                notified_at=now, last_notified_at=now):
            alert.notified_at = alert.last_notified_at = now
            if NOTIFYING_ACTIONS & set(rule.actions):
                after.append(("firing", alert))
        return lines
    if alert.effective_severity != Severity.PAGE or alert.acknowledged_at or silence:
        return lines
    level = alert.escalation_level
    due = alert.notified_at + timedelta(seconds=rule.escalate_after_seconds * (level + 1))
    if rule.escalate_after_seconds and now >= due:
        channels = notify.channels_for(severity=alert.effective_severity, level=level + 1)
        if channels and Alert.objects.filter(pk=alert.pk, escalation_level=level).update(
                escalation_level=level + 1, last_notified_at=now):
            _event(alert, now, AlertEventKind.ESCALATED,
                   f"unacknowledged: escalated to level {level + 1}",
                   channels=[c.name for c in channels])
            after += _queue(alert, channels, NotificationKind.ESCALATION, now)
            lines.append(f"{rule.name}: escalated to level {level + 1}")
            return lines
    last = alert.last_notified_at
    if rule.renotify_seconds and last and now - last >= timedelta(seconds=rule.renotify_seconds):
        if Alert.objects.filter(pk=alert.pk, last_notified_at=last).update(last_notified_at=now):
            heard = _heard_firing(alert)
            _event(alert, now, AlertEventKind.RENOTIFIED, "still firing, unacknowledged")
            after += _queue(alert, heard, NotificationKind.RENOTIFY, now)
            lines.append(f"{rule.name}: re-notified")
    return lines


def _after_commit(*, after: list, now: datetime) -> list[str]:
    """Actions, then the firing notification that reports them, then deliveries."""
    lines, outcomes, queued = [], {}, []
    for item in after:
        if isinstance(item, tuple) and item[0] == "actions":
            alert = item[1]
            outcomes[alert.pk] = alert_actions.alert_actions_run(alert=alert, now=now)
            lines += [f"{alert.rule.name}: {o}" for o in outcomes[alert.pk]]
    for item in after:
        if isinstance(item, tuple) and item[0] == "firing":
            alert = item[1]
            channels = notify.channels_for(severity=alert.effective_severity)
            queued += _queue(alert, channels, NotificationKind.FIRING, now,
                             outcomes.get(alert.pk, ()))
            if not channels:
                _event(alert, now, AlertEventKind.NOTIFY_FAILED,
                       f"no enabled channel takes severity {alert.effective_severity}")
        elif isinstance(item, Notification):
            queued.append(item)
    sent = notify.notifications_deliver(notifications=queued, now=now)
    if queued:
        lines.append(f"notifications: {sent}/{len(queued)} delivered")
    return lines


def _name(alert: Alert) -> str:
    return f"{alert.rule.name}: {alert.title}" if alert.title else alert.rule.name


def _resolve(alert: Alert, now: datetime, why: str) -> tuple[list[str], list]:
    """A firing or pending alert ends: resolved, the channels that heard it told."""
    rule = alert.rule
    lines: list[str] = []
    after: list = []
    if alert.state == AlertState.PENDING:
        if Alert.objects.filter(pk=alert.pk, state=AlertState.PENDING).update(
                state=AlertState.RESOLVED, resolved_at=now):
            _event(alert, now, AlertEventKind.CLEARED, why)
            lines.append(f"{rule.name}: cleared before firing")
        return lines, after
    if not Alert.objects.filter(pk=alert.pk, state=AlertState.FIRING).update(
            state=AlertState.RESOLVED, resolved_at=now):
        return lines, after
    alert.state, alert.resolved_at = AlertState.RESOLVED, now
    heard = _heard_firing(alert)
    _event(alert, now, AlertEventKind.RESOLVED, why, told=[c.name for c in heard])
    after += _queue(alert, heard, NotificationKind.RESOLVED, now)
    if alert.incident is not None:
        incidents.incident_timeline_add(
            incident=alert.incident, kind=TimelineKind.ALERT, at=now,
            author_label="opsportal alerting", data={"alert": alert.pk},
            text=f"Alert {_name(alert)!r} resolved: {why}")
    lines.append(f"{_name(alert)}: resolved ({len(heard)} channels told)")
    return lines, after


def inbound_alert_apply(*, rule: AlertRule, incoming: dict, now: datetime) -> list[str]:
    """One alert from outside (alerting.services.inbound parsed it) through the lifecycle:
    firing opens or refreshes the episode of its fingerprint (deduplicated), resolved
    ends it. Silences, suppression, notifications, actions and history as for a rule."""
    silences = list(Silence.objects.filter(starts_at__lte=now, ends_at__gt=now))
    with transaction.atomic():
        AlertRule.objects.select_for_update().filter(pk=rule.pk).first()
        alert = Alert.objects.select_related("rule", "incident").filter(
            rule=rule, fingerprint=incoming["fingerprint"],
            state__in=(AlertState.PENDING, AlertState.FIRING)).first()
        fields = {k: incoming[k] for k in ("title", "labels", "annotations", "severity",
                                           "external_url", "ends_at")}
        if incoming["status"] == "resolved":
            if alert is None:
                return []
            lines, after = _resolve(alert, now, "resolved by the sender")
        else:
            lines, after = [], []
            if alert is None:
                alert = Alert.objects.create(rule=rule, fingerprint=incoming["fingerprint"],
                                             state=AlertState.FIRING, fired_at=now,
                                             started_at=incoming["starts_at"] or now,
                                             **fields)
                alert.rule = rule
                _event(alert, now, AlertEventKind.FIRED, f"from {rule.get_source_display()}: "
                       f"{alert.title}", fingerprint=alert.fingerprint, labels=alert.labels)
                lines.append(f"{rule.name}: {alert.title}: firing")
            else:
                # A repeat of an open alert: dedup, refresh what the sender says now.
                Alert.objects.filter(pk=alert.pk).update(**fields)
                for k, v in fields.items():
                    setattr(alert, k, v)
            lines += _firing(alert=alert, now=now, silences=silences, after=after)
    return lines + _after_commit(after=after, now=now)


def inbound_rule_tick(*, rule: AlertRule, now: datetime, silences: list[Silence]) -> list[str]:
    """An inbound rule's open alerts each minute: past the sender's end time resolved (a
    sender that died never sends the resolve), else escalation and re-notification."""
    lines: list[str] = []
    for alert in Alert.objects.select_related("rule", "incident").filter(
            rule=rule, state__in=(AlertState.PENDING, AlertState.FIRING)):
        with transaction.atomic():
            if alert.ends_at is not None and alert.ends_at <= now:
                step, after = _resolve(alert, now, f"past its end time "
                                                   f"{alert.ends_at:%Y-%m-%d %H:%M:%S} UTC")
            else:
                after = []
                step = _firing(alert=alert, now=now, silences=silences, after=after)
        lines += step + _after_commit(after=after, now=now)
    return lines


def _ordered(rules: list[AlertRule]) -> list[AlertRule]:
    """Parents before the rules that depend on them, so suppression sees this tick."""
    return sorted(rules, key=lambda r: (r.depends_on_id is not None, r.name))


def alert_rule_evaluate(*, rule: AlertRule, now: datetime, values: Mapping[str, Any],
                        samples: Mapping[str, int], silences: list[Silence]) -> list[str]:
    """Evaluate one rule: its transition, then its actions and notifications."""
    with transaction.atomic():
        lines, after = _step(rule=rule, now=now, values=values, samples=samples,
                             silences=silences)
    return lines + _after_commit(after=after, now=now)


def alert_rules_evaluate(*, now: datetime, values: Mapping[str, Any],
                         samples: Mapping[str, int]) -> list[str]:
    """Evaluate every enabled rule against the /metrics values; what changed, one line each.

    A rule that crashes, or a channel that fails, is logged and recorded; the
    other rules are still evaluated. Undelivered notifications are retried.
    """
    lines = []
    rules = _ordered(list(AlertRule.objects.filter(enabled=True).select_related("depends_on")))
    inbound = [r for r in rules if r.is_inbound]
    rules = [r for r in rules if not r.is_inbound]
    silences = list(Silence.objects.filter(starts_at__lte=now, ends_at__gt=now)
                    .select_related("rule"))
    evaluated = []
    for rule in rules:
        try:
            lines += alert_rule_evaluate(rule=rule, now=now, values=values, samples=samples,
                                         silences=silences)
            evaluated.append(rule.pk)
        except Exception:
            logger.exception("evaluating rule %s failed", rule.name)
            lines.append(f"{rule.name}: evaluation failed (see log)")
    for rule in inbound:  # their alerts arrive from outside; here: escalation, expiry
        try:
            lines += inbound_rule_tick(rule=rule, now=now, silences=silences)
            evaluated.append(rule.pk)
        except Exception:
            logger.exception("ticking inbound rule %s failed", rule.name)
            lines.append(f"{rule.name}: tick failed (see log)")
    # update(), not save(): updated_at is the rule's edit time, not its evaluation's.
    AlertRule.objects.filter(pk__in=evaluated).update(last_evaluated_at=now)
    retried = notify.notifications_retry(now=now)
    if retried:
        lines.append(f"notifications: {retried} retried and delivered")
    return lines


def alert_acknowledge(*, alert: Alert, now: datetime, user=None, label: str = "") -> Alert:
    """Acknowledge an open alert: stops escalation and re-notification."""
    who = label or (user.get_username() if user else "")
    if alert.state == AlertState.RESOLVED:
        raise ValidationError("this alert is already resolved")
    if not Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).filter(
            ~Q(state=AlertState.RESOLVED)).update(acknowledged_at=now, acknowledged_by=user,
                                                    acknowledged_label=who):
        raise ValidationError("this alert is already acknowledged")
    _event(alert, now, AlertEventKind.ACKNOWLEDGED, f"acknowledged by {who or 'someone'}")
    alert.refresh_from_db()
    return alert


def alerts_tick(*, now: datetime, values: Mapping[str, Any] | None = None,
                samples: Mapping[str, int] | None = None) -> list[str]:
    """The minute's evaluation: the given /metrics values (which win) over the RPC and
    backup state keys, so it also runs standalone with no values at all."""
    merged = {**alert_state.alert_state_values(now=now), **alert_state.backup_failure_values(),
              **(values or {})}
    return alert_rules_evaluate(now=now, values=merged, samples=samples or {})
