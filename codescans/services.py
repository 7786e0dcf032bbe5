"""Writes and workflows for repository scans: one scan is one RepoScan row."""

import datetime
import hashlib
import json
import shutil
import subprocess  # noqa: S404  (fixed argv lists, never a shell)
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from codescans import analysis, reports
from codescans.git import git_head
from codescans.models import (
    CodeReview,
    CoverageFormat,
    CoverageReport,
    RepoScan,
    ScanStatus,
    ScanTrigger,
    TestReport,
)
from codescans.schedules import SCHEDULES
from common.scheduling import periodic_task_upsert

RUFF_BATCH = 4000  # paths per ruff process: stays far below the kernel's argv limit
Progress = Callable[[str], None]


class RepoScanError(Exception):
    """The scan could not run (no repository, ruff missing or failing)."""


def _tool(name: str) -> str:
    local = Path(sys.executable).parent / name  # the project's virtualenv first
    return str(local) if local.exists() else (shutil.which(name) or name)


def repo_dir_configured(repo_dir: str | None = None) -> Path:
    """The repository to scan (`repo_dir` or BOT_REPO_DIR); RepoScanError if unusable."""
    value = repo_dir or settings.BOT_REPO_DIR
    if not value:
        raise RepoScanError("BOT_REPO_DIR is not set: point it at a checkout of the bot's "
                            "repository (or pass --repo DIR)")
    path = Path(value).expanduser()
    if not path.is_dir():
        raise RepoScanError(f"the bot's repository {path} is not a directory")
    return path.resolve()


def _ruff_start(root: Path, paths: list[str], select: str) -> list[subprocess.Popen]:
    argv = [_tool("ruff"), "check", "--isolated", "--no-cache", "--exit-zero",
            "--output-format", "json", "--select", select]
    return [subprocess.Popen(  # noqa: S603
        [*argv, "--", *paths[i:i + RUFF_BATCH]], cwd=root, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True) for i in range(0, len(paths), RUFF_BATCH)]


def _ruff_collect(procs: list[subprocess.Popen], timeout: float) -> list[dict]:
    findings: list[dict] = []
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            raise RepoScanError(f"ruff took longer than {timeout:.0f} s") from None
        try:
            findings.extend(json.loads(out or "[]"))
        except json.JSONDecodeError:
            raise RepoScanError(f"ruff did not run (exit {proc.returncode}): "
                                f"{(err.strip() or out.strip())[:300]}") from None
        if proc.returncode:
            raise RepoScanError(f"ruff failed (exit {proc.returncode}): {err.strip()[:300]}")
    return findings


def _measure(root: Path, *, progress: Progress | None) -> dict:
    """Every number of a scan, computed in memory (nothing is written until it is whole)."""
    lint_select = settings.BOT_REPO_RUFF_SELECT
    security_select = settings.BOT_REPO_SECURITY_SELECT

    def walked(n: int) -> None:
        if progress:
            progress(f"read {n} Python files")

    tree = analysis.walk(root, max_bytes=settings.BOT_REPO_MAX_FILE_BYTES, progress=walked)
    # ruff works (in native threads) while this process builds the syntax trees it needs.
    try:
        procs = _ruff_start(root, [f.path for f in tree.files],
                            f"{lint_select},{security_select}") if tree.files else []
    except OSError as exc:
        raise RepoScanError(f"ruff did not start: {exc}") from exc
    try:
        return _analyse(root, tree, procs, progress)
    finally:
        for proc in procs:  # on any failure: no ruff left running behind the scan
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _analyse(root: Path, tree: analysis.Tree, procs: list[subprocess.Popen],
             progress: Progress | None) -> dict:
    lint_select = settings.BOT_REPO_RUFF_SELECT
    security_select = settings.BOT_REPO_SECURITY_SELECT
    sleeps: dict[str, int] = {}
    found: list[tuple[str, str, str, int]] = []  # path, kind, ref, line
    for i, file in enumerate(tree.files, 1):
        if analysis.needs_tree(file.data):
            facts = analysis.analyse_source(file.data)
            if facts.sleep_calls:
                sleeps[file.path] = facts.sleep_calls
            found.extend((file.path, kind, ref, line) for kind, ref, line in facts.stores)
        if progress and i % 500 == 0:
            progress(f"analysed {i}/{len(tree.files)} files")
    if progress:
        progress(f"analysed {len(tree.files)} files; waiting for ruff")
    findings = _ruff_collect(procs, settings.BOT_REPO_SCAN_TIMEOUT_SECONDS)
    lint, security, invalid = analysis.split_ruff(findings, root)
    by_path = {f.path: f for f in tree.files}
    unparsable = {}  # ruff says invalid: CPython has the last word
    for path in sorted(invalid & by_path.keys()):
        error = analysis.syntax_error(by_path[path].data)
        if error:
            unparsable[path] = error
            sleeps.pop(path, None)  # what cannot be parsed counts for nothing
    stores: dict[str, dict] = {}
    in_tests: dict[str, dict] = {}
    for path, kind, ref, line in found:
        if path in unparsable:
            continue
        # Test code's literals are fixtures: listed apart, not counted as the bot's stores.
        into = in_tests if analysis.is_test_path(path) else stores
        entry = into.setdefault(ref, {"kind": kind, "ref": ref, "where": []})
        entry["where"].append(f"{path}:{line}")
    for ref in stores:
        in_tests.pop(ref, None)  # also named by the bot's own code: counted there
    long = sorted((f for f in tree.files if f.lines > analysis.LONG_FILE_LINES),
                  key=lambda f: (-f.lines, f.path))
    long_files = [{"path": f.path, "lines": f.lines} for f in long]
    return {
        "lint_select": lint_select, "security_select": security_select,
        "python_files": len(tree.files), "python_lines": sum(f.lines for f in tree.files),
        "files_over_1000": long_files,
        "sleep_calls": sum(sleeps.values()), "sleep_by_file": dict(sorted(sleeps.items())),
        "unparsable": [{"path": p, "error": e} for p, e in sorted(unparsable.items())],
        "lint_errors": sum(lint.values()), "lint_by_rule": dict(sorted(lint.items())),
        "security_findings": sum(security.values()),
        "security_by_severity": dict(sorted(security.items())),
        "data_stores": sorted(stores.values(), key=lambda d: (d["kind"], d["ref"])),
        "data_store_count": len(stores),
        "test_data_stores": sorted(in_tests.values(), key=lambda d: (d["kind"], d["ref"])),
        "skipped": tree.skipped,
    }


def repo_scan_create(*, repo_dir: str | None = None, trigger: str = ScanTrigger.COMMAND
                     ) -> RepoScan:
    """A running scan row for the configured repository; RepoScanError if none is."""
    path = repo_dir_configured(repo_dir)
    scan = RepoScan(repo_dir=str(path), trigger=trigger, status=ScanStatus.RUNNING)
    scan.full_clean()
    scan.save()
    return scan


def repo_scan_execute(*, scan: RepoScan, progress: Progress | None = None) -> RepoScan:
    """Measure the scan's repository and record it: succeeded with every number, or
    failed with the reason and no numbers (a half-measured scan is never succeeded)."""
    started = time.monotonic()
    try:
        root = repo_dir_configured(scan.repo_dir)
        commit = git_head(root)
        numbers = _measure(root, progress=progress)
    except Exception as exc:  # any failure is the scan's recorded reason, never a crash
        reason = str(exc) if isinstance(exc, RepoScanError) else f"{type(exc).__name__}: {exc}"
        scan.status, scan.error = ScanStatus.FAILED, reason[:2000]
    else:
        for name, value in numbers.items():
            setattr(scan, name, value)
        scan.commit, scan.status, scan.error = commit, ScanStatus.SUCCEEDED, ""
    scan.finished_at = timezone.now()
    scan.duration_seconds = round(time.monotonic() - started, 3)
    # Only a scan still running takes its result: one the reaper failed meanwhile
    # (taken for dead) stays failed rather than turning succeeded late.
    fields = {f.attname: getattr(scan, f.attname) for f in RepoScan._meta.concrete_fields
              if not f.primary_key}
    if not RepoScan.objects.filter(pk=scan.pk, status=ScanStatus.RUNNING).update(**fields):
        scan.refresh_from_db()
    return scan


def repo_scans_reap(*, now: datetime.datetime | None = None) -> list[str]:
    """Fail the scans still running past BOT_REPO_SCAN_TIMEOUT_SECONDS (plus a minute):
    their process died or hung. The minute loop calls it; one line per scan."""
    now = now or timezone.now()
    limit = settings.BOT_REPO_SCAN_TIMEOUT_SECONDS + 60
    cutoff = now - datetime.timedelta(seconds=limit)
    lines = []
    for scan in RepoScan.objects.filter(status=ScanStatus.RUNNING, started_at__lt=cutoff):
        reason = (f"no result within {limit} s: the scanning process died or hung "
                  f"(BOT_REPO_SCAN_TIMEOUT_SECONDS)")
        if RepoScan.objects.filter(pk=scan.pk, status=ScanStatus.RUNNING).update(
                status=ScanStatus.FAILED, error=reason, finished_at=now):
            lines.append(f"repo scan #{scan.pk} marked failed: {reason}")
    return lines


def repo_scan_run(*, repo_dir: str | None = None, trigger: str = ScanTrigger.COMMAND,
                  progress: Progress | None = None) -> RepoScan:
    """Create and execute a scan of `repo_dir` (default BOT_REPO_DIR) in this process."""
    scan = repo_scan_create(repo_dir=repo_dir, trigger=trigger)
    return repo_scan_execute(scan=scan, progress=progress)


def repo_scan_summary(scan: RepoScan) -> list[str]:
    """The lines the command (and the task) print for a scan."""
    if scan.status != ScanStatus.SUCCEEDED:
        return [f"repo scan #{scan.pk} {scan.status}: {scan.error}"]
    top = Counter(scan.lint_by_rule).most_common(5)
    return [
        f"repo scan #{scan.pk} succeeded in {scan.duration_seconds:.1f} s: {scan.repo_dir} "
        f"at {scan.commit[:12] or 'no git commit'}",
        f"  {scan.python_files} Python files, {scan.python_lines} lines, "
        f"{len(scan.files_over_1000)} over {analysis.LONG_FILE_LINES} lines",
        f"  {scan.sleep_calls} sleep() calls in {len(scan.sleep_by_file)} files",
        f"  lint ({scan.lint_select}): {scan.lint_errors} "
        f"({', '.join(f'{c} {n}' for c, n in top) or 'none'})",
        f"  security ({scan.security_select}): {scan.security_findings} "
        f"({', '.join(f'{k} {v}' for k, v in scan.security_by_severity.items()) or 'none'})",
        f"  {scan.data_store_count} data store reference(s), {len(scan.unparsable)} "
        f"unparsable, {len(scan.skipped)} skipped",
    ]


def codescans_bootstrap() -> list[str]:
    """Idempotent: the daily repository scan's schedule (operator toggles kept)."""
    created = [s.name for s in SCHEDULES if periodic_task_upsert(schedule=s)]
    return [f"repo scan schedules: {len(SCHEDULES)} ({len(created)} new)"]


# --- Evidence from the bot's CI (issue 17.2) -------------------------------------------

EVIDENCE_CHUNK = 2**20
EVIDENCE_SPOOL_BYTES = 2**20  # a body past this is spooled to a temporary file
REVIEW_MAX_BYTES = 64 * 2**10
MAX_APPROVERS = 20


class EvidenceTooLarge(Exception):
    """The body is over EVIDENCE_MAX_BYTES (413)."""


@dataclass
class EvidenceBody:
    file: IO[bytes]  # at its start; the caller closes it
    size: int
    sha256: str


def evidence_body_read(stream: IO[bytes], *, declared: int | None,
                       limit: int | None = None) -> EvidenceBody:
    """The request body, read once in chunks: hashed, sized and spooled. Refused
    (EvidenceTooLarge) from its Content-Length before a byte is read, or as soon as
    more than `limit` bytes arrive."""
    limit = settings.EVIDENCE_MAX_BYTES if limit is None else limit
    if declared is not None and declared > limit:
        raise EvidenceTooLarge(f"the body of {declared} bytes is over the limit of "
                               f"{limit} bytes (EVIDENCE_MAX_BYTES)")
    spool = tempfile.SpooledTemporaryFile(max_size=EVIDENCE_SPOOL_BYTES)  # noqa: SIM115
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(EVIDENCE_CHUNK):
        size += len(chunk)
        if size > limit:
            spool.close()
            raise EvidenceTooLarge(f"the body is over the limit of {limit} bytes "
                                   "(EVIDENCE_MAX_BYTES)")
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    return EvidenceBody(file=cast(IO[bytes], spool), size=size, sha256=digest.hexdigest())


_EvidenceModel = TypeVar("_EvidenceModel", CoverageReport, TestReport, CodeReview)


def _evidence_store(model: type[_EvidenceModel], *, commit: str, sha256: str,
                    **fields: Any) -> tuple[_EvidenceModel, bool]:
    """The row for this commit and body, and whether it is new: the same report sent
    twice (a CI job retried) is one row, even when both copies arrive at once."""
    existing = model.objects.filter(commit=commit, sha256=sha256).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return model.objects.create(commit=commit, sha256=sha256, **fields), True
    except IntegrityError:  # the other copy won the race: it is the row
        return model.objects.get(commit=commit, sha256=sha256), False


def _nonempty(body: EvidenceBody) -> None:
    if body.size == 0:
        raise reports.ReportError("the body is empty: send the report file as the body "
                                  "(curl --data-binary @file)")


def coverage_report_record(*, body: EvidenceBody, fmt: str, commit: str | None,
                           posted_by: str = "") -> tuple[CoverageReport, bool]:
    """Store a coverage report (Cobertura XML or coverage.py JSON) for a commit;
    reports.ReportError, and nothing stored, when it is malformed."""
    commit = reports.commit_clean(commit)
    _nonempty(body)
    if fmt == CoverageFormat.COBERTURA:
        facts = reports.cobertura_parse(body.file)
    else:
        facts = reports.coverage_json_parse(body.file.read())
    return _evidence_store(
        CoverageReport, commit=commit, sha256=body.sha256, format=fmt,
        line_rate=facts.line_rate, lines_covered=facts.lines_covered,
        lines_valid=facts.lines_valid, branch_rate=facts.branch_rate, files=facts.files,
        lowest_files=facts.lowest_files, size_bytes=body.size, posted_by=posted_by)


def junit_report_record(*, body: EvidenceBody, commit: str | None,
                       posted_by: str = "") -> tuple[TestReport, bool]:
    """Store a JUnit XML test report for a commit (reports.ReportError if malformed)."""
    commit = reports.commit_clean(commit)
    _nonempty(body)
    facts = reports.junit_parse(body.file)
    return _evidence_store(
        TestReport, commit=commit, sha256=body.sha256, tests=facts.tests,
        failures=facts.failures, errors=facts.errors, skipped=facts.skipped,
        duration_seconds=facts.duration_seconds, suites=facts.suites,
        failed_ids=facts.failed_ids, failed_total=facts.failed_total,
        size_bytes=body.size, posted_by=posted_by)


def _name(value: Any, where: str, *, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise reports.ReportError(f"{where} must be a non-empty string")
    if len(value.strip()) > limit:
        raise reports.ReportError(f"{where} is longer than {limit} characters")
    return value.strip()


def code_review_record(*, body: EvidenceBody, commit: str | None,
                       posted_by: str = "") -> tuple[CodeReview, bool]:
    """Store who approved a change: a JSON body {"change", "approved_by": [...],
    "author"?}. The author alone approving is no review, and is refused."""
    commit = reports.commit_clean(commit)
    _nonempty(body)
    data = reports.json_load(body.file.read())
    if not isinstance(data, dict):
        raise reports.ReportError('the body must be an object: {"change": ..., '
                                  '"approved_by": [...], "author": ...}')
    unknown = sorted(set(data) - {"change", "approved_by", "author"})
    if unknown:
        raise reports.ReportError(f"unknown field(s): {', '.join(unknown)[:200]}; "
                                  "send change, approved_by and author")
    change = _name(data.get("change"), "change", limit=500)
    approvers = data.get("approved_by")
    if not isinstance(approvers, list) or not approvers:
        raise reports.ReportError("approved_by must be a list of at least one name")
    if len(approvers) > MAX_APPROVERS:
        raise reports.ReportError(f"approved_by names more than {MAX_APPROVERS} people")
    names = [_name(a, f"approved_by[{i}]", limit=150) for i, a in enumerate(approvers)]
    names = list(dict.fromkeys(names))  # once each, in the order given
    author = "" if data.get("author") is None else _name(data["author"], "author", limit=150)
    if author and {n.casefold() for n in names} == {author.casefold()}:
        raise reports.ReportError(f"approved_by names only the author ({author}): a change "
                                  "needs someone else's approval")
    # The fingerprint of what was said, not of its spacing: a retry is the same review.
    canonical = json.dumps({"change": change, "approved_by": sorted(names), "author": author})
    return _evidence_store(
        CodeReview, commit=commit, sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        change=change, approved_by=names, author=author, size_bytes=body.size,
        posted_by=posted_by)
