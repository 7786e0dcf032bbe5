"""Verifiers of the bot's code, from the newest scan of its repository (codescans).

Every detail names the number, the scan and its commit. A scan older than its TTL,
or made before the bot's HEAD moved, no longer passes anything.
"""

from datetime import datetime
from pathlib import PurePosixPath

from django.conf import settings

from backups.selectors import datastore_identities
from checklist import sources
from checklist.verifiers import Result, verifier

MAX_DATABASES = 3  # the plan: "Database consolidated (≤3 DBs)"
SEVERITIES = ("low", "medium", "high")


def _current_scan(now: datetime):
    """(scan, label, None) for a fresh scan, else (scan or None, label, why it fails)."""
    scan, freshness, label = sources.bot_repo_scan(now=now)
    if scan is None:
        return None, label, label
    if not freshness.fresh:
        return scan, label, f"stale: {freshness.reason}"
    return scan, label, None


def _scan_ref_name(ref: str) -> str:
    """What a scanned reference names: a URL's database, or a file's name."""
    if "://" in ref:
        return ref.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return PurePosixPath(ref).name


def _stores_union(scan) -> list[str]:
    """The registered database stores, then what the scan names and no store covers:
    one label each ("bot-db (postgresql, registered)", "sqlite file:cache.db")."""
    registered = [s for s in datastore_identities() if s["kind"] != "files"]
    labels = [f"{s['name']} ({s['kind']}, registered)" for s in registered]
    covered = {s["ref"] for s in registered}
    for found in (scan.data_stores if scan is not None else []):
        if _scan_ref_name(found["ref"]) not in covered:
            labels.append(f"{found['kind']}:{found['ref']}")
    return labels


@verifier("database_consolidated")
def database_consolidated(now: datetime) -> Result:
    """The bot's databases: its registered data stores (folders are not databases) together
    with what a fresh scan of its code names, counted once each (a scanned reference is the
    registered store whose database or file has its name). Never the portal's own."""
    scan, label, problem = _current_scan(now)
    registered = [s for s in datastore_identities() if s["kind"] != "files"]
    if problem and (scan is not None or not registered):
        return False, f"the bot's data stores are not measured: {problem}", scan
    if not registered and scan is not None:
        refs = ", ".join(f"{d['kind']}:{d['ref']}" for d in scan.data_stores[:10])
        more = f" and {len(scan.data_stores) - 10} more" if len(scan.data_stores) > 10 else ""
        detail = (f"the bot's code names {scan.data_store_count} data store(s) ({label})"
                  f"{': ' + refs + more if refs else ''}; none registered; the plan allows "
                  f"≤{MAX_DATABASES}")
        return scan.data_store_count <= MAX_DATABASES, detail, scan
    labels = _stores_union(None if problem else scan)
    shown = ", ".join(labels[:10]) + (f" and {len(labels) - 10} more" if len(labels) > 10
                                      else "")
    source = (f"{len(registered)} registered" if problem
              else f"{len(registered)} registered and {label}")
    detail = (f"the bot has {len(labels)} database(s) ({source})"
              f"{': ' + shown if shown else ''}; the plan allows ≤{MAX_DATABASES}")
    return len(labels) <= MAX_DATABASES, detail, scan


def bot_security_result(now: datetime) -> Result:
    """The bot's code has no security finding at or above BOT_REPO_SECURITY_FAIL_SEVERITY."""
    scan, label, problem = _current_scan(now)
    if problem:
        return False, f"bot code security scan: {problem}", scan
    floor = settings.BOT_REPO_SECURITY_FAIL_SEVERITY.lower()
    failing = SEVERITIES[SEVERITIES.index(floor) if floor in SEVERITIES else 1:]
    counts = scan.security_by_severity
    blocking = sum(counts.get(s, 0) for s in failing)
    shown = ", ".join(f"{counts.get(s, 0)} {s}" for s in reversed(SEVERITIES))
    detail = (f"bot code ({label}, ruff {scan.security_select}): {shown}; "
              f"{'clean' if not blocking else f'{blocking} at {floor} or higher'}")
    return blocking == 0, detail, scan


COVERAGE_TARGET = 0.8  # the plan: "Test coverage >80%"


def _ci(kind: str, now: datetime):
    report, freshness, label = sources.ci_evidence(kind, now=now)
    if report is None:
        return None, label
    if not freshness.fresh:
        return report, f"stale: {freshness.reason}"
    return report, None


@verifier("bot_test_coverage")
def bot_test_coverage(now: datetime) -> Result:
    """The bot's CI: line coverage > 80 % from a test run that passed, both at the bot's
    commit and within CI_EVIDENCE_MAX_AGE_DAYS (coverage of a failing suite proves
    nothing)."""
    coverage, problem = _ci("coverage", now)
    if problem:
        return False, f"coverage: {problem}", coverage
    cov = (f"coverage {coverage.line_rate * 100:.1f} % of {coverage.lines_valid} lines "
           f"(report #{coverage.pk} at {coverage.commit[:12]}); the plan needs > 80 %")
    tests, problem = _ci("tests", now)
    if problem:
        return False, f"{cov}; tests: {problem}", coverage
    failed = tests.failures + tests.errors
    run = (f"tests: {tests.tests - failed - tests.skipped} passed, {failed} failed, "
           f"{tests.skipped} skipped (report #{tests.pk} at {tests.commit[:12]})")
    passed = coverage.line_rate > COVERAGE_TARGET and failed == 0 and tests.tests > 0
    return passed, f"{cov}; {run}", coverage


@verifier("bot_code_review")
def bot_code_review(now: datetime) -> Result:
    """A review with at least one approver, of the commit the bot is at."""
    review, freshness, label = sources.code_review_current(now=now)
    if review is None:
        return False, label, None
    if not freshness.fresh:
        return False, f"stale: {freshness.reason}", review
    approvers = ", ".join(review.approved_by)
    if not review.approved_by:
        return False, f"{label}: no approver", review
    return True, f"{label}, approved by {approvers}", review
