"""Verifiers reading accounts' security scans, and the deployment checks."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core import checks

from accounts.selectors import SCAN_TOOLS, security_scan_is_clean, security_scan_latest
from checklist.verifiers import Result, verifier
from checklist.verifiers.code import bot_security_result

# A scan older than this no longer speaks for the code and dependencies deployed now.
SECURITY_SCAN_MAX_AGE = timedelta(days=7)


def _scan_result(tool: str, now: datetime) -> tuple[bool, str, object | None]:
    scan = security_scan_latest(tool=tool)
    if scan is None:
        return False, f"{tool}: never run (manage.py security_scan)", None
    age = now - scan.ran_at
    if age > SECURITY_SCAN_MAX_AGE:
        return False, f"{tool}: last run {age.days} days ago, older than " \
                      f"{SECURITY_SCAN_MAX_AGE.days} days", scan
    # "could not run" is never read as clean: the item stays open (or is waived).
    return security_scan_is_clean(scan), f"{tool}: {scan.get_status_display()}, " \
                                            f"{scan.summary}", scan


@verifier("security_scan_clean")
def security_scan_clean(now: datetime) -> Result:
    """The plan's "Security scan clean": the bot's code scan is recent, at its HEAD and
    clean, and every scanner of the portal (deployed beside it) is recent and clean."""
    results = [bot_security_result(now), *(_scan_result(tool, now) for tool in SCAN_TOOLS)]
    evidence = next((scan for ok, _, scan in results if not ok and scan), None) \
        or results[0][2]
    return all(ok for ok, _, _ in results), "; ".join(d for _, d, _ in results), evidence


@verifier("security_audit")
def security_audit(now: datetime) -> Result:
    """The plan's "Security audit passed", as far as the portal can audit itself: Django's
    deployment checks raise nothing, the admin demands a second factor, and the code scan
    (bandit rules) is recent and clean. A human review is recorded beside it as a note."""
    problems = []
    raised = [m for m in checks.run_checks(include_deployment_checks=True)
              if m.level >= checks.WARNING and not m.is_silenced()]
    if raised:
        problems.append("check --deploy: " + ", ".join(sorted({m.id for m in raised})))
    if not settings.ADMIN_2FA_REQUIRED:
        problems.append("admin two-factor authentication is not required")
    ok, detail, scan = _scan_result("ruff-bandit", now)
    if not ok:
        problems.append(detail)
    if problems:
        return False, "; ".join(problems), scan
    return True, f"check --deploy clean; admin 2FA required; {detail}", scan
