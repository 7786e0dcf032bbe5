"""The daily scan of the bot's repository, declared in code; `bootstrap` upserts it."""

import json

from common.scheduling import Schedule

SCHEDULE_NAME = "bot repository scan"

SCHEDULES = [
    Schedule(name=SCHEDULE_NAME, task="codescans.tasks.repo_scan_task",
             crontab={"minute": "30", "hour": "3"}, kwargs=json.dumps({"trigger": "schedule"})),
]
