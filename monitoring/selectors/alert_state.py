"""State keys the alert rules watch beside /metrics: RPC and backup freshness."""

from datetime import datetime

from backups import selectors as backup_selectors

from . import rpc


def backup_state_values(*, now: datetime) -> dict:
    """backup_database_stale (1/0) and the age of the last good database backup."""
    fresh, _ = backup_selectors.backup_is_fresh(kind="database", now=now)
    last = backup_selectors.backup_last_success(kind="database")
    return {
        "backup_database_stale": 0 if fresh else 1,
        "backup_database_age_seconds": (now - last.finished_at).total_seconds() if last
        else None,
    }


def alert_state_values(*, now: datetime) -> dict:
    return {**rpc.rpc_state_values(), **backup_state_values(now=now)}
