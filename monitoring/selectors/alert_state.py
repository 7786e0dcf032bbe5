"""State keys the alert rules watch beside /metrics: RPC, backup freshness, dependency
probes, certificates and API keys."""

from datetime import datetime

from backups import selectors as backup_selectors
from monitoring.selectors import probes, rpc


def backup_state_values(*, now: datetime) -> dict:
    """backup_database_stale (1/0) and the age of the last good database backup."""
    state = backup_selectors.backup_freshness(kind="database", now=now)
    return {
        "backup_database_stale": int(not state.fresh),
        "backup_database_age_seconds": (round(state.age.total_seconds(), 1)
                                        if state.age is not None else None),
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
    state = backup_selectors.backup_freshness(kind=kind, now=now)
    lines.append(f"Last successful {kind} backup: run #{state.last.pk}, "
                 f"{state.age.total_seconds() / 3600:.1f} h ago"
                 if state.last is not None and state.age is not None
                 else f"No successful {kind} backup is stored.")
    return lines


def alert_state_values(*, now: datetime) -> dict:
    return {**rpc.rpc_state_values(), **backup_state_values(now=now),
            **probes.probe_state_values(now=now)}
