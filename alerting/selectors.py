"""Reads for the API (alerts, rules, channels) and for launch readiness (the checklist's
"Monitoring configured" verifier)."""

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from alerting.models import (
    SEVERITY_RANK,
    Alert,
    AlertRule,
    BotControlRequest,
    ControlState,
    Notification,
    NotificationChannel,
    Severity,
)
from alerting.services.alert_rules import PLAN_RULES


def alert_rules_list() -> QuerySet[AlertRule]:
    return AlertRule.objects.select_related("depends_on")


def alerts_list(*, state: str | None = None) -> QuerySet[Alert]:
    """Alerts newest first, in `state` when given (already validated)."""
    qs = Alert.objects.select_related("rule").order_by("-started_at", "-id")
    if state is not None:
        qs = qs.filter(state=state)
    return qs


def alert_get(*, pk) -> Alert:
    """The alert with its rule; Http404 when there is none."""
    return get_object_or_404(Alert.objects.select_related("rule"), pk=pk)


def notification_channels_list() -> QuerySet[NotificationChannel]:
    return NotificationChannel.objects.all()


def alerting_configuration() -> dict:
    """The plan's alert rules that are missing or disabled, the enabled channels, and the
    enabled rules whose severity no enabled first-level channel receives."""
    rules = {r.name: r for r in AlertRule.objects.all()}
    # Optional plan rules (the risk guards) wait for limits only the operator can set.
    plan_names = [spec["name"] for spec in PLAN_RULES if not spec.get("optional")]
    channels = list(NotificationChannel.objects.filter(enabled=True, escalation_level=0))
    ranks = [SEVERITY_RANK[Severity(c.min_severity)] for c in channels]
    enabled = [r for r in rules.values() if r.enabled]
    return {
        "rules_enabled": sorted(r.name for r in enabled),
        "plan_rules_missing": [n for n in plan_names if n not in rules],
        "plan_rules_disabled": [n for n in plan_names if n in rules and not rules[n].enabled],
        "channels_enabled": sorted(c.name for c in channels),
        "rules_unheard": sorted(r.name for r in enabled
                                if not any(rank <= SEVERITY_RANK[Severity(r.severity)]
                                           for rank in ranks)),
    }


def alert_rules_not_evaluated_since(*, since) -> list[str]:
    """The enabled rules no evaluation has finished for since `since` (or ever)."""
    return sorted(AlertRule.objects.filter(enabled=True)
                  .filter(Q(last_evaluated_at__isnull=True) | Q(last_evaluated_at__lt=since))
                  .values_list("name", flat=True))


def notification_last_delivered() -> Notification | None:
    """The latest message (an alert's or a channel test) an enabled channel accepted."""
    return (Notification.objects.filter(delivered_at__isnull=False, channel__enabled=True)
            .select_related("channel").order_by("-delivered_at").first())
def bot_control_alert_values(*, now: datetime) -> dict:
    """The alert keys of the kill switch, merged into the minute loop's /metrics values."""
    failed = BotControlRequest.objects.filter(
        state=ControlState.FAILED, created_at__gt=now - timedelta(hours=1),
        created_at__lte=now)
    return {"bot_control_failures_1h": failed.count()}


def bot_control_requests_list() -> QuerySet[BotControlRequest]:
    return BotControlRequest.objects.select_related("requested_by", "confirmed_by", "alert")
