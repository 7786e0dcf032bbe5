"""What a firing alert does: its remediation actions, each recorded on its history."""

import logging
from datetime import datetime

from alerting.models import (
    Action,
    Alert,
    AlertEvent,
    AlertEventKind,
    ControlAction,
    ControlState,
    Severity,
)
from alerting.services import bot_control
from incidents import services as incidents
from incidents.models import Incident, IncidentStatus, TimelineKind
from incidents.models import Severity as IncidentSeverity
from monitoring.selectors.positions import positions_unprotected_text
from monitoring.services import rpc

logger = logging.getLogger(__name__)


def _record(alert: Alert, now: datetime, action: str, ok: bool, text: str, **data) -> str:
    AlertEvent.objects.create(
        alert=alert, at=now, kind=AlertEventKind.ACTION if ok else AlertEventKind.ACTION_FAILED,
        text=f"{action}: {text}", data={"action": action, "ok": ok, **data})
    return f"{action}: {text}"


def bot_control_post(*, action: str) -> tuple[bool, str]:
    """POST {"action": ...} to BOT_CONTROL_URL within the outbound timeout."""
    answer = bot_control.bot_control_send(action=action)
    return answer.ok, answer.text


# An alert's severity as the incident severity it opens; a rule's `incident_severity`
# label overrides it (the funds-at-risk guard opens SEV1: funds at risk).
INCIDENT_SEVERITY = {Severity.PAGE: "sev2", Severity.WARNING: "sev3", Severity.INFO: "sev4"}
# What an incident opened on a rule of this metric names, beyond the value.
DETAILS = {
    "positions_without_tpsl": lambda now: "Positions: " + positions_unprotected_text(now=now),
}


def _details(rule, now: datetime) -> str:
    fn = DETAILS.get(rule.metric_key)
    return f" {fn(now)}" if fn else ""


def _on_open_incidents(*, text: str, now: datetime, data: dict) -> int:
    """Record a remediation on every open incident's timeline (who is fixing what)."""
    open_ = Incident.objects.exclude(status=IncidentStatus.RESOLVED)
    for incident in open_:
        incidents.incident_timeline_add(incident=incident, kind=TimelineKind.ACTION, text=text,
                                        author_label="opsportal alerting", at=now, data=data)
    return len(open_)


def action_failover_rpc(*, alert: Alert, now: datetime) -> str:
    before = rpc.rpc_active()
    switch = rpc.rpc_failover(now=now)
    if switch is None:
        still = rpc.rpc_active()
        if still and before and still.pk != before.pk:
            return _record(alert, now, Action.FAILOVER_RPC, True,
                           f"already switched to {still.name}")
        return _record(alert, now, Action.FAILOVER_RPC, False,
                       "no healthy backup endpoint to switch to")
    src = switch.from_endpoint.name if switch.from_endpoint else "none"
    text = f"active RPC switched from {src} to {switch.to_endpoint.name}"
    _on_open_incidents(text=f"Alert {alert.rule.name!r}: {text}", now=now,
                       data={"alert": alert.pk, "action": Action.FAILOVER_RPC})
    return _record(alert, now, Action.FAILOVER_RPC, True, text, switch=switch.pk,
                   to=switch.to_endpoint.name)


def action_reconnect_websocket(*, alert: Alert, now: datetime) -> str:
    ok, text = bot_control_post(action="reconnect_websocket")
    _on_open_incidents(
        text=f"Alert {alert.rule.name!r}: asked the bot to reconnect its WebSocket ({text})",
        now=now, data={"alert": alert.pk, "action": Action.RECONNECT_WEBSOCKET, "ok": ok})
    return _record(alert, now, Action.RECONNECT_WEBSOCKET, ok, text)


def action_pause_entries(*, alert: Alert, now: datetime) -> str:
    """Ask the bot to open no new positions; resuming is a person's decision, never ours."""
    rule = alert.rule
    reason = f"alert {rule.name!r}: {rule.condition_text}.{_details(rule, now)}"
    req = bot_control.bot_control_request(action=ControlAction.PAUSE_ENTRIES, reason=reason,
                                          now=now, label=f"rule:{rule.name}"[:150],
                                          alert=alert)
    ok = req.state == ControlState.SENT
    text = bot_control.BotAnswer(ok, req.response_status, req.response_ms, "", req.error).text
    _on_open_incidents(
        text=f"Alert {rule.name!r}: asked the bot to pause entries ({text}; request "
             f"#{req.pk})", now=now,
        data={"alert": alert.pk, "action": Action.PAUSE_ENTRIES, "ok": ok, "request": req.pk})
    return _record(alert, now, Action.PAUSE_ENTRIES, ok, f"{text} (request #{req.pk})",
                   request=req.pk)


def action_open_incident(*, alert: Alert, now: datetime) -> str:
    """Open an investigating incident for this episode and link it to the alert."""
    rule = alert.rule
    if alert.incident_id:
        return _record(alert, now, Action.OPEN_INCIDENT, True,
                       f"incident #{alert.incident_id} already open")
    value = f" (value {alert.value:g})" if alert.value is not None else ""
    # An inbound alert says what it is in its title; a rule's alert, by its condition.
    what = alert.title or rule.condition_text
    component = alert.labels.get("component") or rule.labels.get("component")
    severity = rule.labels.get("incident_severity")
    if severity not in IncidentSeverity.values:
        severity = INCIDENT_SEVERITY[Severity(alert.effective_severity)]
    incident = incidents.incident_open(
        title=f"{rule.name}: {what}"[:200], severity=severity,
        summary=f"Opened by alert rule {rule.name!r}: {what}{value} since "
                f"{alert.fired_at:%Y-%m-%d %H:%M} UTC.{_details(rule, now)} "
                f"Runbook: {rule.runbook_url or '-'}",
        source=f"alert rule: {rule.name}"[:100], actor=f"rule:{rule.name}"[:100], at=now,
        affected_components=[component] if component else [])
    Alert.objects.filter(pk=alert.pk).update(incident=incident)
    alert.incident = incident
    incidents.incident_timeline_add(
        incident=incident, kind=TimelineKind.ALERT, at=now, author_label="opsportal alerting",
        text=f"Alert {rule.name!r} fired: {what}{value}",
        data={"alert": alert.pk})
    return _record(alert, now, Action.OPEN_INCIDENT, True,
                   f"opened incident #{incident.pk} (investigating)", incident=incident.pk)


REMEDIATIONS = {
    Action.FAILOVER_RPC: action_failover_rpc,
    Action.RECONNECT_WEBSOCKET: action_reconnect_websocket,
    Action.OPEN_INCIDENT: action_open_incident,
    Action.PAUSE_ENTRIES: action_pause_entries,
}


def alert_actions_run(*, alert: Alert, now: datetime) -> list[str]:
    """Run the rule's remediation actions (page/notify are notifications, not here)."""
    outcomes = []
    for name in alert.rule.actions:
        fn = REMEDIATIONS.get(name)
        if fn is None:
            continue
        try:
            outcomes.append(fn(alert=alert, now=now))
        except Exception as exc:  # one broken action must not stop the others
            logger.exception("alert action %s crashed", name)
            outcomes.append(_record(alert, now, name, False, f"crashed: {exc}"))
    return outcomes
