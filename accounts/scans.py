"""Security scans: ruff's bandit rules (code) and pip-audit (dependencies), each
run recorded as a SecurityScan, the evidence for the launch checklist."""

import json
import shutil
import subprocess  # noqa: S404  (fixed argv lists below, never a shell)
import sys
from pathlib import Path

from django.conf import settings

from accounts.models import ScanStatus, SecurityScan

TIMEOUT_SECONDS = 300


def _tool(name: str) -> str:
    # The tools installed beside this interpreter (the project's virtualenv) first.
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def _record(*, tool: str, status: str, findings: int, summary: str, output: str) -> SecurityScan:
    return SecurityScan.objects.create(tool=tool, status=status, findings=findings,
                                       summary=summary[:300], output=output[-100_000:])


def security_scan_bandit() -> SecurityScan:
    """ruff --select S over the project: every finding not justified in pyproject.toml."""
    proc = subprocess.run(  # noqa: S603
        [_tool("ruff"), "check", "--select", "S", "--output-format", "json", "."],
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    try:
        findings = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        return _record(tool="ruff-bandit", status=ScanStatus.UNAVAILABLE, findings=0,
                       summary=f"ruff did not run: {proc.stderr.strip()[:200]}",
                       output=proc.stdout + proc.stderr)
    lines = [f"{f['filename']}:{f['location']['row']} {f['code']} {f['message']}"
             for f in findings]
    return _record(tool="ruff-bandit", status=ScanStatus.FINDINGS if lines else ScanStatus.CLEAN,
                   findings=len(lines),
                   summary=f"{len(lines)} finding(s)" if lines else "no findings (rules S)",
                   output="\n".join(lines))


def security_scan_dependencies() -> SecurityScan:
    """pip-audit of the installed environment.

    pip-audit asks PyPI's JSON API per release. Where that is unreachable (or a
    mirror serves no per-release JSON) it audits nothing and still says "No known
    vulnerabilities": every skipped package is therefore counted, and a run that
    audited nothing is recorded as UNAVAILABLE, never as clean.
    """
    try:
        proc = subprocess.run(  # noqa: S603
            [_tool("pip-audit"), "--format", "json", "--progress-spinner", "off"],
            capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return _record(tool="pip-audit", status=ScanStatus.UNAVAILABLE, findings=0,
                       summary=f"pip-audit did not run: {exc}", output="")
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return _record(tool="pip-audit", status=ScanStatus.UNAVAILABLE, findings=0,
                       summary="pip-audit could not reach its vulnerability service: "
                               + (proc.stderr.strip().splitlines() or ["no output"])[-1][:200],
                       output=proc.stderr)
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = [d for d in deps if not d.get("skip_reason")]
    vulns = [f"{d['name']} {d['version']}: {v['id']} (fix: {', '.join(v.get('fix_versions', []))})"
             for d in audited for v in d.get("vulns", [])]
    output = "\n".join(vulns + [f"skipped {d['name']}: {d['skip_reason']}"
                                for d in skipped])
    if vulns:
        status, summary = ScanStatus.FINDINGS, f"{len(vulns)} known vulnerabilit(y/ies)"
    elif not audited:
        status = ScanStatus.UNAVAILABLE
        summary = (f"audited nothing: all {len(skipped)} packages skipped (the PyPI JSON "
                   "API per release is unreachable from this machine)")
    else:
        status = ScanStatus.CLEAN
        summary = f"{len(audited)} packages audited, none vulnerable, {len(skipped)} skipped"
    return _record(tool="pip-audit", status=status, findings=len(vulns), summary=summary,
                   output=output)
