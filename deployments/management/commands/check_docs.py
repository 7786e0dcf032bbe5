import socket
import sys

from django.core.management.base import BaseCommand
from django.utils import timezone

from deployments.docs_check import docs_run_checks
from deployments.models import CheckRunKind
from deployments.services import check_results_table, check_run_record


class Command(BaseCommand):
    help = ("Checks the documentation: every nav page of mkdocs.yml built with its title, "
            "no broken internal link, and the API reference's examples passing (run against "
            "a throwaway test database). Records the run for the launch checklist; exits 1 "
            "if a check fails.")

    def add_arguments(self, parser):
        parser.add_argument("--no-api-examples", action="store_true",
                            help="skip running the API examples (the docs items stay open)")

    def handle(self, *args, no_api_examples=False, **options):
        started = timezone.now()
        results = docs_run_checks(api_examples=not no_api_examples)
        self.stdout.write(check_results_table(results))
        run = check_run_record(kind=CheckRunKind.DOCS, target=socket.gethostname(),
                               results=results, started_at=started)
        failed = [r.name for r in results if r.failed]
        note = (f"recorded as docs check run {run.pk}; the launch checklist picks it up on "
                f"its next verification (manage.py verify_checklist)")
        if failed:
            self.stderr.write(f"check_docs FAILED: {', '.join(failed)} ({note})")
            sys.exit(1)
        self.stdout.write(f"check_docs passed: {len(results)} checks ({note})")
