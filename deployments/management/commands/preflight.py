import dataclasses
import json
import socket
import sys

from django.core.management.base import BaseCommand
from django.utils import timezone

from deployments.models import CheckRunKind
from deployments.preflight import preflight_run_checks
from deployments.services import check_results_table, check_run_record


class Command(BaseCommand):
    help = ("The deployment checklist as checks: environment, secrets, check --deploy, "
            "database and migrations, broker, cache, notification channels, RPC endpoints, "
            "health, scheduler, alert rules. Prints a table; exits 1 if any check fails.")

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="",
                            help="check /health of this running deployment over HTTP "
                                 "instead of in this process")
        parser.add_argument("--json", dest="json_path", default="",
                            help="also write the run as JSON to this file")

    def handle(self, *args, base_url, json_path, **options):
        started = timezone.now()
        results = preflight_run_checks(base_url=base_url)
        finished = timezone.now()
        failed = [r.name for r in results if r.failed]
        self.stdout.write(check_results_table(results))
        try:
            run = check_run_record(kind=CheckRunKind.PREFLIGHT, target=base_url or
                                   socket.gethostname(), results=results,
                                   started_at=started, finished_at=finished)
            recorded = (f"recorded as preflight run {run.pk}; the launch checklist picks it "
                        f"up on its next verification (manage.py verify_checklist)")
        except Exception as exc:  # a dead database is itself a failed check above
            recorded = f"not recorded: {str(exc).splitlines()[0] if str(exc) else exc!r}"
        if json_path:
            with open(json_path, "w") as fh:
                json.dump({"kind": CheckRunKind.PREFLIGHT, "target": base_url,
                           "started_at": started.isoformat(), "finished_at": finished.isoformat(),
                           "results": [dataclasses.asdict(r) for r in results]}, fh)
        if failed:
            self.stderr.write(f"preflight FAILED: {', '.join(failed)} ({recorded})")
            sys.exit(1)
        self.stdout.write(f"preflight passed: {len(results)} checks ({recorded})")
