"""Verifiers reading alerting: the plan's rules and the channels that hear them."""

from datetime import datetime, timedelta

from django.conf import settings

from alerting.selectors import (
    alert_rules_not_evaluated_since,
    alerting_configuration,
    notification_last_delivered,
)
from checklist.verifiers import Result, verifier
from monitoring.selectors import scheduler_last_seen

# The minute loop evaluates every rule each minute; two minutes allows one late tick.
LOOP_FRESH_FOR = timedelta(seconds=120)


def _configuration_problems() -> tuple[list[str], dict]:
    config = alerting_configuration()
    problems = []
    if config["plan_rules_missing"]:
        problems.append(f"plan rules missing: {', '.join(config['plan_rules_missing'])}")
    if config["plan_rules_disabled"]:
        problems.append(f"plan rules disabled: {', '.join(config['plan_rules_disabled'])}")
    if not config["channels_enabled"]:
        problems.append("no enabled notification channel")
    elif config["rules_unheard"]:
        problems.append(f"no channel receives: {', '.join(config['rules_unheard'])}")
    return problems, config


@verifier("monitoring_configured")
def monitoring_configured(now: datetime) -> Result:
    """The plan's alert rules exist and are enabled, and every enabled rule reaches a channel."""
    problems, config = _configuration_problems()
    if problems:
        return False, "; ".join(problems), None
    return True, (f"{len(config['rules_enabled'])} enabled alert rule(s) notifying "
                  f"{', '.join(config['channels_enabled'])}"), None


def _names(names: list[str], most: int = 5) -> str:
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


@verifier("monitoring_operational")
def monitoring_operational(now: datetime) -> Result:
    """Configured, and running: the scheduler ran within 2 minutes, every enabled rule was
    evaluated by that loop, and a channel accepted a message (an alert's or a test) within
    MONITORING_CHANNEL_REACHED_MAX_AGE_DAYS."""
    problems, config = _configuration_problems()
    last = scheduler_last_seen()
    if last is None:
        problems.append("the scheduler (beat → worker) has never run")
    elif now - last > LOOP_FRESH_FOR:
        problems.append(f"last scheduler heartbeat {int((now - last).total_seconds())} s ago")
    unevaluated = alert_rules_not_evaluated_since(since=now - LOOP_FRESH_FOR)
    if unevaluated:
        problems.append(f"not evaluated in the last {int(LOOP_FRESH_FOR.total_seconds())} s: "
                        f"{_names(unevaluated)}")
    ttl = settings.MONITORING_CHANNEL_REACHED_MAX_AGE_DAYS
    delivered = notification_last_delivered()
    if delivered is None:
        problems.append("no notification channel has been reached (send a channel test)")
    elif now - delivered.delivered_at > timedelta(days=ttl):
        age = (now - delivered.delivered_at).days
        problems.append(f"channel last reached stale: {age} days old, TTL {ttl}")
    if problems:
        return False, "; ".join(problems), delivered
    return True, (f"scheduler ran {int(max((now - last).total_seconds(), 0))} s ago; "
                  f"{len(config['rules_enabled'])} rule(s) evaluated; "
                  f"{delivered.channel.name} reached at {delivered.delivered_at:%Y-%m-%d %H:%M} "
                  f"UTC ({delivered.kind})"), delivered
