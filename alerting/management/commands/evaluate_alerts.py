import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from alerting.services import alerts


class Command(BaseCommand):
    help = ("Evaluate every enabled alert rule once against the given /metrics values "
            "(default: the current RPC state); prints what changed.")

    def add_arguments(self, parser):
        parser.add_argument("--values", default="{}",
                            help='the /metrics JSON, e.g. \'{"error_rate": 0.2}\'')
        parser.add_argument("--samples", default="{}",
                            help='events behind each key, e.g. \'{"error_rate": 50}\'')
        parser.add_argument("--now", help="ISO time to evaluate at (default: now)")

    def handle(self, *args, **opts):
        try:
            values, samples = json.loads(opts["values"]), json.loads(opts["samples"])
        except ValueError as exc:
            raise CommandError(f"--values/--samples must be JSON objects: {exc}") from exc
        if not isinstance(values, dict) or not isinstance(samples, dict):
            raise CommandError("--values/--samples must be JSON objects")
        now = timezone.now()
        if opts["now"]:
            try:
                now = datetime.fromisoformat(opts["now"])
            except ValueError as exc:
                raise CommandError(f"--now is not an ISO time: {exc}") from exc
            if now.tzinfo is None:
                raise CommandError("--now must carry a time zone")
        lines = alerts.alerts_tick(now=now, values=values, samples=samples)
        self.stdout.write("\n".join(lines) if lines else "no change")
