"""State keys the alert rules watch beside /metrics: RPC and backup freshness."""

from datetime import datetime

from backups import selectors as backup_selectors

from . import rpc


def backup_state_values(*, now: datetime) -> dict:
    """backup_database_stale (1/0) and the age of the last good database backup."""
    # backup_is_fresh's rule (schedule + grace), reading the last run only once.
    last = backup_selectors.backup_last_success(kind="database")
    if last is None:
        return {"backup_database_stale": 1, "backup_database_age_seconds": None}
    policy = backup_selectors.backup_policy(kind="database")
    age = (now - last.finished_at).total_seconds()
    return {
        "backup_database_stale": int(age > policy.schedule_seconds + policy.grace_seconds),
        "backup_database_age_seconds": round(age, 1),
    }


def alert_state_values(*, now: datetime) -> dict:
    return {**rpc.rpc_state_values(), **backup_state_values(now=now)}
