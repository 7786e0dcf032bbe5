"""What the bot's checkout says about commits: its HEAD, and whether evidence for a
commit still speaks for it. Plain `git` with fixed argv lists (no library wraps
`merge-base --is-ancestor` more simply than the command itself)."""

import shutil
import subprocess  # noqa: S404  (fixed argv lists, never a shell)
from pathlib import Path

GIT_TIMEOUT_SECONDS = 30


def _git(path: Path, *args: str) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(  # noqa: S603
            [shutil.which("git") or "git", "-C", str(path), *args],
            capture_output=True, text=True, timeout=GIT_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None


def git_head(path: Path) -> str:
    """HEAD of the checkout holding `path`; empty when `path` is not tracked by git.

    A folder that merely sits inside some other repository (untracked, or the
    repository is someone else's) has no commit of its own: the enclosing HEAD
    would describe code the scan never saw.
    """
    proc = _git(path, "rev-parse", "HEAD")
    sha = proc.stdout.strip() if proc is not None and proc.returncode == 0 else ""
    if len(sha) not in (40, 64):
        return ""
    # The newest commit touching `path` exists only when git tracks something in it.
    tracked = _git(path, "log", "-1", "--format=%H", "--", ".")
    if tracked is None or tracked.returncode != 0 or not tracked.stdout.strip():
        return ""
    return sha


# Answers that cannot change are kept per process: a commit that resolved to a full
# SHA keeps it, and ancestry between two full SHAs is fixed. The readiness and
# success-metrics pages ask them on every render; HEAD itself is always asked anew.
_resolved: dict[tuple[str, str], str] = {}
_ancestry: dict[tuple[str, str, str], bool] = {}
_CACHE_MAX = 4096


def _remember(cache: dict, key, value):
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[key] = value
    return value


def git_commit_resolve(path: Path, commit: str) -> str:
    """The full SHA of `commit` (a short SHA is fine) in the checkout; empty if unknown."""
    key = (str(path), commit)
    if key in _resolved:
        return _resolved[key]
    proc = _git(path, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
    full = proc.stdout.strip() if proc is not None and proc.returncode == 0 else ""
    # Unknown is not remembered: a later fetch may bring the commit in.
    return _remember(_resolved, key, full) if len(full) in (40, 64) else full


def git_is_ancestor(path: Path, older: str, newer: str) -> bool:
    """True when `older` is `newer` or one of its ancestors."""
    key = (str(path), older, newer)
    if key in _ancestry:
        return _ancestry[key]
    proc = _git(path, "merge-base", "--is-ancestor", older, newer)
    if proc is None or proc.returncode not in (0, 1):
        return False  # git failed (timeout, unknown object): not an answer to remember
    return _remember(_ancestry, key, proc.returncode == 0)
