"""State keys the alert rules watch beside /metrics: RPC and backup freshness."""

from datetime import datetime

from backups import selectors as backup_selectors
from monitoring.selectors import rpc


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


def backup_failure_values() -> dict:
    """backup_failed.<kind>: 1 while the newest finished run of that kind failed, else 0.

    Alert rules only (like perf_regressions), not part of /metrics.
    """
    failed = backup_selectors.backup_failures()
    return {"backup_failed": {kind: int(kind in failed) for kind in backup_selectors.BACKUP_KINDS}}


def backup_alert_lines(*, kind: str, now: datetime) -> list[str]:
    """What a "backup failed" notification adds: the failed run and the last good one."""
    lines = []
    failed = backup_selectors.backup_failures().get(kind)
    if failed is not None:
        lines.append(f"Run #{failed.pk} ({failed.trigger}) failed at "
                     f"{failed.finished_at:%Y-%m-%d %H:%M:%S} UTC: {failed.error or '(no reason)'}")
    last = backup_selectors.backup_last_success(kind=kind)
    lines.append(f"Last successful {kind} backup: run #{last.pk}, "
                 f"{(now - last.finished_at).total_seconds() / 3600:.1f} h ago" if last
                 else f"No successful {kind} backup is stored.")
    return lines


def alert_state_values(*, now: datetime) -> dict:
    return {**rpc.rpc_state_values(), **backup_state_values(now=now)}
