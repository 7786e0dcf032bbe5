import json

from django.core.management.base import BaseCommand, CommandError

from deployments.services import deployment_record


class Command(BaseCommand):
    help = "Records a finished deployment rehearsal from deploy/staging.py's JSON summary."

    def add_arguments(self, parser):
        parser.add_argument("--json", dest="json_path", required=True)

    def handle(self, *args, json_path, **options):
        try:
            with open(json_path) as fh:
                summary = json.load(fh)
            deployment = deployment_record(summary=summary)
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"cannot record {json_path}: {exc}") from exc
        self.stdout.write(f"recorded deployment {deployment.pk} ({deployment.status}); the "
                          f"launch checklist picks it up on its next verification "
                          f"(manage.py verify_checklist)")
