"""Writes and workflows for backups."""


def backups_bootstrap() -> list[str]:
    """Idempotent: what backups needs on a fresh install."""
    return []
