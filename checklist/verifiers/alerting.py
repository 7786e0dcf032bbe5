"""Verifiers reading alerting: the plan's rules and the channels that hear them."""

from datetime import datetime

from alerting.selectors import alerting_configuration
from checklist.verifiers import Result, verifier


@verifier("monitoring_configured")
def monitoring_configured(now: datetime) -> Result:
    """The plan's alert rules exist and are enabled, and every enabled rule reaches a channel."""
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
    if problems:
        return False, "; ".join(problems), None
    return True, (f"{len(config['rules_enabled'])} enabled alert rule(s) notifying "
                  f"{', '.join(config['channels_enabled'])}"), None
