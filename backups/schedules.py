"""The plan's backup schedules and default policies, declared in code.

`backups_bootstrap` upserts them by name, so an operator's edits in admin
(enabled, interval) survive a deploy.
"""

import json

from backups.models import BackupKind
from common.scheduling import Schedule

HOUR = 3600
DAY = 24 * HOUR
WEEK = 7 * DAY

# kind -> (schedule seconds, grace seconds, keep last N, keep D days)
POLICY_DEFAULTS: dict[str, tuple[int, int, int, int]] = {
    BackupKind.DATABASE: (6 * HOUR, HOUR, 8, 7),
    BackupKind.WALLET_KEYS: (DAY, 2 * HOUR, 7, 30),
    BackupKind.CONFIG: (DAY, 2 * HOUR, 7, 30),
    BackupKind.LOGS: (WEEK, DAY, 4, 90),
}

SCHEDULE_NAMES = {kind: f"backup {kind}" for kind in BackupKind.values}
DRILL_SCHEDULE_NAME = "restore drill"

SCHEDULES = [
    *(
        Schedule(name=SCHEDULE_NAMES[kind], task="backups.tasks.backup_scheduled",
                 every_seconds=seconds, kwargs=json.dumps({"kind": str(kind)}))
        for kind, (seconds, *_rest) in POLICY_DEFAULTS.items()
    ),
    Schedule(name=DRILL_SCHEDULE_NAME, task="backups.tasks.restore_drill_task",
             every_seconds=WEEK, kwargs=json.dumps({"trigger": "schedule"})),
]

# --- The bot's data stores: a backup and a drill schedule per registered store ------

# The plan: "Database: every 6 hours", "Wallet keys: daily (encrypted)".
DATASTORE_SCHEDULE_DEFAULTS = {"postgresql": 6 * HOUR, "sqlite": 6 * HOUR, "files": DAY}
DATASTORE_DRILL_SECONDS = WEEK
DATASTORE_SCHEDULE_PREFIX = "backup datastore "
DATASTORE_DRILL_PREFIX = "restore drill datastore "


def datastore_schedules(*, name: str, every_seconds: int) -> list[Schedule]:
    """The backup and the weekly drill of one store, named after it."""
    kwargs = json.dumps({"name": name})
    return [
        Schedule(name=f"{DATASTORE_SCHEDULE_PREFIX}{name}",
                 task="backups.tasks.datastore_backup_scheduled", every_seconds=every_seconds,
                 kwargs=kwargs),
        Schedule(name=f"{DATASTORE_DRILL_PREFIX}{name}",
                 task="backups.tasks.datastore_drill_scheduled",
                 every_seconds=DATASTORE_DRILL_SECONDS, kwargs=kwargs),
    ]
