"""`manage.py baseline establish [--window 24h] [--measurement X ...]` and `baseline show`."""

import datetime
import re

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from monitoring.selectors.performance import measurement_names, performance_current
from monitoring.services.performance import baselines_establish

_UNITS = {"m": 60, "h": 3600, "d": 86400}


def parse_window(text: str) -> datetime.timedelta:
    m = re.fullmatch(r"(\d+)([mhd])", text.strip())
    if not m or int(m.group(1)) == 0:
        raise CommandError(f"bad --window {text!r}: use e.g. 30m, 24h or 7d")
    return datetime.timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])


def _n(value) -> str:
    return "-" if value is None else f"{value:.2f}"


class Command(BaseCommand):
    help = "Establish performance baselines, or show baselines against the current window."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["establish", "show"])
        parser.add_argument("--window", default="24h", help="e.g. 30m, 24h, 7d (default 24h)")
        parser.add_argument("--measurement", action="append", default=None,
                            help="repeatable; default: every known measurement")

    def handle(self, *args, action, window, measurement, **options):
        now = timezone.now()
        if action == "show":
            for name, c in performance_current(now=now).items():
                self.stdout.write(f"{name}\tp95 {_n(c['p95'])}\tbaseline {_n(c['baseline_p95'])}"
                                  f"\tratio {_n(c['ratio'])}\tsamples {c['samples']}"
                                  + ("\tREGRESSED" if c["regressed"] else ""))
            return
        span = parse_window(window)
        names = measurement or measurement_names()
        unknown = set(names) - set(measurement_names())
        if unknown:
            raise CommandError(f"unknown measurement(s): {', '.join(sorted(unknown))}")
        created, skipped = baselines_establish(now=now, window=span, measurements=names)
        for b in created:
            self.stdout.write(f"baseline {b.measurement}: p50 {b.p50:.2f} p95 {b.p95:.2f} "
                              f"p99 {b.p99:.2f} from {b.samples} samples ({b.version})")
        for reason in skipped:
            self.stderr.write(f"skipped: {reason}")
        if not created:
            raise CommandError("no baseline established")
