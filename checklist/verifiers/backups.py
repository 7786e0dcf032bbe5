"""Verifiers reading backups: schedules, freshness and restore drills."""

from datetime import datetime, timedelta

from django.conf import settings

from backups.selectors import (
    backup_is_fresh,
    backup_last_success,
    backup_schedules_enabled,
    restore_drill_last,
)
from checklist.verifiers import Result, verifier

# The plan's Task 4: "Restore tested successfully", "Recovery time <1 hour"; a
# drill older than a week no longer proves the current backups restore.
RESTORE_DRILL_MAX_AGE = timedelta(days=7)


@verifier("backups_automated")
def backups_automated(now: datetime) -> Result:
    """Every kind's schedule is enabled, its last successful run is within schedule + grace,
    and that run came from the schedule (a manual backup proves nothing is automated)."""
    schedules = backup_schedules_enabled()
    disabled = sorted(kind for kind, enabled in schedules.items() if not enabled)
    stale = []
    notes = []
    not_scheduled = []
    for kind in sorted(schedules):
        fresh, note = backup_is_fresh(kind=kind, now=now)
        notes.append(note)
        if not fresh:
            stale.append(note)
            continue
        last = backup_last_success(kind=kind)
        if last is not None and last.trigger != "schedule":
            not_scheduled.append(f"{kind} (#{last.pk}, {last.trigger})")
    evidence = backup_last_success(kind="database")
    if disabled:
        return False, f"schedule disabled for: {', '.join(disabled)}", evidence
    if stale:
        return False, "; ".join(stale), evidence
    if not_scheduled:
        return False, ("latest successful run not from the schedule: "
                       + ", ".join(not_scheduled)), evidence
    return True, "every schedule enabled and ran; " + "; ".join(notes), evidence


@verifier("restore_tested")
def restore_tested(now: datetime) -> Result:
    """A passing restore drill within 7 days, under the recovery objective."""
    drill = restore_drill_last(passed_only=True)
    if drill is None:
        last = restore_drill_last()
        why = f" (last drill {last.verdict}: {last.reason})" if last else ""
        return False, f"no passing restore drill{why}", last
    objective = settings.RESTORE_OBJECTIVE_SECONDS
    when = drill.finished_at or drill.started_at
    age = now - when
    if age > RESTORE_DRILL_MAX_AGE:
        return False, (f"last passing drill {age.days} days old, older than "
                       f"{RESTORE_DRILL_MAX_AGE.days} days"), drill
    if drill.duration_seconds is None or drill.duration_seconds >= objective:
        return False, (f"last passing drill took {drill.duration_seconds} s, not under the "
                       f"{objective} s recovery objective"), drill
    return True, (f"{drill} restored run #{drill.run_id} in {drill.duration_seconds:.1f} s "
                  f"(objective {objective} s) at {when:%Y-%m-%d %H:%M} UTC"), drill
