"""Verifiers reading backups: schedules, freshness and restore drills."""

from datetime import datetime, timedelta

from django.conf import settings

from backups.selectors import (
    backup_is_fresh,
    backup_last_success,
    backup_schedules_enabled,
    datastore_summaries,
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


def _stores_lacking_a_drill(now: datetime) -> list[str]:
    """Each enabled data store of the bot without a passing drill within 7 days under
    the recovery objective, as "name (why)"."""
    objective = settings.RESTORE_OBJECTIVE_SECONDS
    lacking = []
    for store in datastore_summaries():
        drill = store.last_drill
        when = drill and (drill.finished_at or drill.started_at)
        if drill is None or when is None:
            lacking.append(f"{store.name} (never drilled)")
        elif now - when > RESTORE_DRILL_MAX_AGE:
            lacking.append(f"{store.name} (last passing drill {(now - when).days} days old)")
        elif drill.duration_seconds is None or drill.duration_seconds >= objective:
            lacking.append(f"{store.name} (took {drill.duration_seconds} s)")
    return lacking


@verifier("restore_tested")
def restore_tested(now: datetime) -> Result:
    """A passing restore drill within 7 days, under the recovery objective: of the portal's
    own database and of every registered data store of the bot."""
    ok, detail, drill = _portal_restore_tested(now)
    lacking = _stores_lacking_a_drill(now)
    stores = len(datastore_summaries())
    if lacking:
        return False, (f"{len(lacking)} of {stores} data store(s) lack a passing restore drill "
                       f"within {RESTORE_DRILL_MAX_AGE.days} days: {', '.join(lacking)}; "
                       f"portal: {detail}"), drill
    if stores:
        detail = f"{detail}; every one of {stores} data store(s) drilled"
    return ok, detail, drill


def _portal_restore_tested(now: datetime) -> Result:
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
