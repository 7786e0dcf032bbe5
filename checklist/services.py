"""Writes and workflows for checklist."""


def checklist_bootstrap() -> list[str]:
    """Idempotent: what checklist needs on a fresh install."""
    return []
