"""What a firing alert does: its remediation actions, each recorded on its history."""

import json
import logging
import urllib.error
import urllib.request
from datetime import datetime

from django.conf import settings

from ..models.alerts import Action, Alert, AlertEvent, AlertEventKind
from . import rpc

logger = logging.getLogger(__name__)


def _record(alert: Alert, now: datetime, action: str, ok: bool, text: str, **data) -> str:
    AlertEvent.objects.create(
        alert=alert, at=now, kind=AlertEventKind.ACTION if ok else AlertEventKind.ACTION_FAILED,
        text=f"{action}: {text}", data={"action": action, "ok": ok, **data})
    return f"{action}: {text}"


def bot_control_post(*, action: str) -> tuple[bool, str]:
    """POST {"action": ...} to BOT_CONTROL_URL within the outbound timeout."""
    if not settings.BOT_CONTROL_URL:
        return False, "BOT_CONTROL_URL is not set"
    request = urllib.request.Request(
        settings.BOT_CONTROL_URL, data=json.dumps({"action": action}).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=settings.OUTBOUND_TIMEOUT_SECONDS) as r:
            return True, f"bot control answered HTTP {r.status}"
    except urllib.error.HTTPError as exc:
        return False, f"bot control answered HTTP {exc.code}"
    except urllib.error.URLError as exc:  # refused, DNS
        return False, f"bot control unreachable: {exc.reason}"[:300]
    except OSError as exc:  # timeout
        return False, f"bot control unreachable: {exc}"[:300]


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
    return _record(alert, now, Action.FAILOVER_RPC, True,
                   f"active RPC switched from {src} to {switch.to_endpoint.name}",
                   switch=switch.pk, to=switch.to_endpoint.name)


def action_reconnect_websocket(*, alert: Alert, now: datetime) -> str:
    ok, text = bot_control_post(action="reconnect_websocket")
    return _record(alert, now, Action.RECONNECT_WEBSOCKET, ok, text)


def action_open_incident(*, alert: Alert, now: datetime) -> str:
    # The incidents aggregate (issue 5) provides incident_open; until it is wired
    # in, the action is recorded as not done rather than silently skipped.
    return _record(alert, now, Action.OPEN_INCIDENT, False,
                   "incidents are not available in this build")


REMEDIATIONS = {
    Action.FAILOVER_RPC: action_failover_rpc,
    Action.RECONNECT_WEBSOCKET: action_reconnect_websocket,
    Action.OPEN_INCIDENT: action_open_incident,
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
