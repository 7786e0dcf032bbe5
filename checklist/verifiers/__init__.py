"""Automated verifiers: key → function(now) → (passed, detail, evidence object or None).

Each measures something the portal can see for itself. Evidence is a recorded
object (a backup run, a drill, a health sample, a deployment) when one exists;
otherwise the detail string is kept as the item's evidence note. Checklist items
name their verifier by key (plan_items.py); a key missing here is reported as not
wired. One module per area the verifiers read; importing them registers them.
"""

from collections.abc import Callable
from datetime import datetime

Result = tuple[bool, str, object | None]
Verifier = Callable[[datetime], Result]

REGISTRY: dict[str, Verifier] = {}


def verifier(key: str):
    def register(fn: Verifier) -> Verifier:
        REGISTRY[key] = fn
        return fn
    return register


# Imported for their registrations (after REGISTRY and verifier exist).
from checklist.verifiers import (  # noqa: E402, F401
    alerting,
    backups,
    checklist,
    code,
    deployments,
    features,
    monitoring,
    portal,
    security,
)
