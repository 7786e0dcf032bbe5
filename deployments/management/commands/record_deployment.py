import getpass
import json

from django.core.management.base import BaseCommand, CommandError

from deployments.services import deployment_record


class Command(BaseCommand):
    help = ("Imports a finished deployment rehearsal from a JSON summary. The record is "
            "stored as imported (with who imported it) and is never launch evidence: only "
            "`make staging` records a rehearsal the checklist counts.")

    def add_arguments(self, parser):
        parser.add_argument("--json", dest="json_path", required=True)
        parser.add_argument("--by", dest="by", default="",
                            help="who imports it (default: the OS user)")

    def handle(self, *args, json_path, by="", **options):
        try:
            who = by.strip() or getpass.getuser()
        except (KeyError, OSError) as exc:  # no such OS user (a bare container)
            raise CommandError("cannot tell who imports this: pass --by USER") from exc
        try:
            with open(json_path) as fh:
                summary = json.load(fh)
            if not isinstance(summary, dict):
                raise ValueError("the summary is not a JSON object")
            deployment = deployment_record(summary=summary, imported=True, imported_by=who)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"cannot record {json_path}: {exc}") from exc
        self.stdout.write(f"imported deployment {deployment.pk} ({deployment.status}) by {who}; "
                          f"it is shown as imported and never ticks a launch checklist item "
                          f"(see manage.py verify_checklist)")
