import dataclasses
import json
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from deployments.models import CheckRunKind
from deployments.services import check_results_table, check_run_record
from deployments.smoke import smoke_run_checks


class Command(BaseCommand):
    help = ("Checks a running deployment over HTTP: health, metrics (with a token), a marked "
            "demo event, the admin login page, /docs/, /api/schema. Records a smoke-test "
            "run; exits 1 if any check fails.")

    def add_arguments(self, parser):
        parser.add_argument("--base-url", required=True)
        parser.add_argument("--token", default=os.environ.get("SMOKE_TEST_TOKEN", ""),
                            help="API token with scopes read,ingest (or SMOKE_TEST_TOKEN)")
        parser.add_argument("--timeout", type=float, default=5.0,
                            help="seconds per request (default 5)")
        parser.add_argument("--behind-proxy", action="store_true",
                            help="send X-Forwarded-Proto: https as a TLS proxy would")
        parser.add_argument("--expect-hsts", action="store_true",
                            help="fail unless answers carry Strict-Transport-Security")
        parser.add_argument("--skip-absent", action="store_true",
                            help="skip checks of endpoints the deployment's /api/schema does "
                                 "not list (an older release, after a rollback)")
        parser.add_argument("--no-record", action="store_true",
                            help="print only; do not store a smoke-test run")
        parser.add_argument("--json", dest="json_path", default="",
                            help="also write the run as JSON to this file")

    def handle(self, *args, base_url, token, timeout, behind_proxy, expect_hsts, skip_absent,
               no_record, json_path, **options):
        if not base_url.startswith(("http://", "https://")):
            raise CommandError(f"--base-url must start with http:// or https://, not {base_url!r}")
        started = timezone.now()
        results = smoke_run_checks(base_url=base_url, token=token, timeout=timeout,
                                   forwarded_proto="https" if behind_proxy else "",
                                   expect_hsts=expect_hsts, skip_absent=skip_absent)
        finished = timezone.now()
        self.stdout.write(check_results_table(results))
        recorded = "not recorded (--no-record)"
        if not no_record:
            try:
                run = check_run_record(kind=CheckRunKind.SMOKE, target=base_url, results=results,
                                       started_at=started, finished_at=finished)
                recorded = f"recorded as smoke-test run {run.pk}"
            except Exception as exc:  # the portal's own database may be the one down
                recorded = f"not recorded: {str(exc).splitlines()[0] if str(exc) else exc!r}"
        if json_path:
            with open(json_path, "w") as fh:
                json.dump({"kind": CheckRunKind.SMOKE, "target": base_url,
                           "started_at": started.isoformat(), "finished_at": finished.isoformat(),
                           "results": [dataclasses.asdict(r) for r in results]}, fh)
        failed = [r.name for r in results if r.failed]
        if failed:
            self.stderr.write(f"smoke test FAILED: {', '.join(failed)} ({recorded})")
            sys.exit(1)
        self.stdout.write(f"smoke test passed: {len(results)} checks ({recorded})")
