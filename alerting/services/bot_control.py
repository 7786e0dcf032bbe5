"""The kill switch: orders to the bot's control endpoint, each one a recorded request.

People ask through the API or the admin; the funds-at-risk guard's pause_entries
action asks too. exit_all closes every position, so it needs a second person's
confirmation before it is sent. A bot that does not answer within
OUTBOUND_TIMEOUT_SECONDS is a failed request (never a hung worker), and failed
requests raise the "Bot control failed" alert (metric bot_control_failures_1h).
"""

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from alerting.models import Alert, BotControlRequest, ControlAction, ControlState
from incidents import services as incidents
from incidents.models import Incident, IncidentStatus, TimelineKind

MIN_REASON = 10  # "x" or "test" says nothing to whoever reads the record later
BODY_KEEP = 2000
NEEDS_CONFIRMATION = (ControlAction.EXIT_ALL,)


@dataclass
class BotAnswer:
    ok: bool
    status: int | None
    latency_ms: int | None
    body: str
    error: str

    @property
    def text(self) -> str:
        return (f"bot control answered HTTP {self.status}" if self.status is not None
                else self.error)


def bot_control_send(*, action: str, reason: str | None = None) -> BotAnswer:
    """POST {"action", "reason"} to BOT_CONTROL_URL within the outbound timeout."""
    if not settings.BOT_CONTROL_URL:
        return BotAnswer(False, None, None, "", "BOT_CONTROL_URL is not set")
    payload = {"action": action} | ({"reason": reason} if reason else {})
    request = urllib.request.Request(
        settings.BOT_CONTROL_URL, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    start = time.monotonic()

    def elapsed() -> int:
        return round((time.monotonic() - start) * 1000)

    try:
        with urllib.request.urlopen(request, timeout=settings.OUTBOUND_TIMEOUT_SECONDS) as r:
            body = r.read(BODY_KEEP).decode(errors="replace")
            return BotAnswer(True, r.status, elapsed(), body, "")
    except urllib.error.HTTPError as exc:
        body = exc.read(BODY_KEEP).decode(errors="replace") if exc.fp else ""
        return BotAnswer(False, exc.code, elapsed(), body, f"bot control answered HTTP "
                                                           f"{exc.code}")
    except urllib.error.URLError as exc:  # refused, DNS
        return BotAnswer(False, None, elapsed(), "",
                         f"bot control unreachable: {exc.reason}"[:300])
    except OSError as exc:  # the timeout
        return BotAnswer(False, None, elapsed(), "", f"bot control unreachable: {exc}"[:300])


def _on_open_incidents(req: BotControlRequest, text: str, *, now: datetime) -> None:
    """A person's order goes on every open incident's timeline (an alert's action puts
    its own there, alert_actions._on_open_incidents)."""
    if req.alert_id is not None:
        return
    for incident in Incident.objects.exclude(status=IncidentStatus.RESOLVED):
        incidents.incident_timeline_add(
            incident=incident, kind=TimelineKind.ACTION, text=text, at=now,
            author=req.confirmed_by or req.requested_by, author_label=req.requested_label,
            data={"bot_control_request": req.pk, "action": req.action, "state": req.state})


def _send(req: BotControlRequest, *, now: datetime, done_state: str) -> BotControlRequest:
    answer = bot_control_send(action=req.action, reason=req.reason)
    req.sent_at = now
    req.state = done_state if answer.ok else ControlState.FAILED
    req.response_status, req.response_ms = answer.status, answer.latency_ms
    req.response_body, req.error = answer.body, answer.error
    req.save()
    who = req.requested_label + (f", confirmed by {req.confirmed_by.get_username()}"
                                 if req.confirmed_by else "")
    _on_open_incidents(req, f"Bot control #{req.pk} {req.action} ({who}): {answer.text}. "
                            f"Reason: {req.reason}"[:1000], now=now)
    return req


def bot_control_request(*, action: str, reason: str, now: datetime, user=None,
                        label: str = "", alert: Alert | None = None) -> BotControlRequest:
    """Record an order and send it, or hold an exit_all for a second person.

    Raises ValidationError for an unknown action or a reason too short to mean anything.
    """
    if action not in ControlAction.values:
        raise ValidationError({"action": f"must be one of: {', '.join(ControlAction.values)}"})
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if len(reason) < MIN_REASON:
        raise ValidationError({"reason": f"is required: say why, in at least {MIN_REASON} "
                                         f"characters"})
    req = BotControlRequest(
        action=action, reason=reason[:2000], requested_by=user, alert=alert, created_at=now,
        requested_label=(label or (user.get_username() if user else "?"))[:150],
        state=ControlState.PENDING_CONFIRMATION)
    if action in NEEDS_CONFIRMATION:
        req.expires_at = now + timedelta(seconds=settings.BOT_CONTROL_CONFIRM_SECONDS)
        req.save()
        _on_open_incidents(req, f"Bot control #{req.pk} {action} asked by "
                                f"{req.requested_label}, waiting for a second person until "
                                f"{req.expires_at:%H:%M} UTC. Reason: {reason}"[:1000],
                           now=now)
        return req
    req.save()  # recorded before it is sent: a crash mid-send leaves a trace, never "sent"
    return _send(req, now=now, done_state=ControlState.SENT)


def _refusal(req: BotControlRequest, *, user, now: datetime) -> str | None:
    if req.state != ControlState.PENDING_CONFIRMATION:
        return (f"request #{req.pk} is {req.get_state_display()}; only a pending one can be "
                f"confirmed")
    if req.expires_at and now >= req.expires_at:
        return f"request #{req.pk} lapsed at {req.expires_at:%H:%M:%S} UTC unconfirmed; ask again"
    if req.confirmed_by_id is not None:
        return f"request #{req.pk} is already confirmed and being sent"
    if req.requested_by_id is not None and req.requested_by_id == user.pk:
        return "a second person must confirm: you asked for it yourself"
    return None


def bot_control_confirm(*, request_id: int, user, now: datetime) -> BotControlRequest:
    """A second person confirms a pending exit_all: it is sent now, or it has lapsed."""
    with transaction.atomic():
        req = BotControlRequest.objects.select_for_update().get(pk=request_id)
        refusal = _refusal(req, user=user, now=now)
        if refusal is None:
            # Claimed inside the lock, sent after it (the bot may take seconds): a second
            # confirm finds it claimed. It is "confirmed" only once the bot took it.
            req.confirmed_by, req.confirmed_at = user, now
            req.save(update_fields=["confirmed_by", "confirmed_at"])
        elif req.state == ControlState.PENDING_CONFIRMATION and req.expires_at \
                and now >= req.expires_at:
            req.state = ControlState.LAPSED
            req.save(update_fields=["state"])
    if refusal:  # raised after the commit: the lapse is kept
        raise ValidationError(refusal)
    return _send(req, now=now, done_state=ControlState.CONFIRMED)


def bot_control_lapse(*, now: datetime) -> list[str]:
    """Pending requests past their confirmation window lapse (the minute loop)."""
    lapsed = BotControlRequest.objects.filter(state=ControlState.PENDING_CONFIRMATION,
                                              expires_at__lte=now)
    ids = list(lapsed.values_list("pk", flat=True))
    lapsed.update(state=ControlState.LAPSED)
    return [f"bot control: request #{pk} lapsed unconfirmed" for pk in ids]
