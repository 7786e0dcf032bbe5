"""Whether a piece of code evidence (a scan, a CI report, a review) still speaks for
the bot: not older than its TTL, and made at the commit the bot's checkout is on
(or a later one). The launch checklist reads it through here."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings

from codescans.git import git_commit_resolve, git_head, git_is_ancestor


@dataclass(frozen=True)
class Freshness:
    fresh: bool
    reason: str  # why it is stale, or what was checked when fresh


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 3600:
        return f"{max(seconds, 0) // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def bot_repo_head() -> tuple[Path | None, str]:
    """(checkout, HEAD) of BOT_REPO_DIR; (None, "") when unset or not a folder."""
    if not settings.BOT_REPO_DIR:
        return None, ""
    path = Path(settings.BOT_REPO_DIR).expanduser()
    if not path.is_dir():
        return None, ""
    return path, git_head(path)


def evidence_freshness(*, what: str, commit: str, at: datetime, max_age: timedelta,
                       now: datetime, head: tuple[Path | None, str] | None = None
                       ) -> Freshness:
    """Fresh when `at` is within `max_age` of `now` and the bot's HEAD is `commit` or
    an ancestor of it. `head` is bot_repo_head(), passed in to ask git once per pass."""
    age = now - at
    if age > max_age:
        return Freshness(False, f"{what} is {_age(age)} old, older than its "
                                f"{_age(max_age)} TTL")
    path, sha = bot_repo_head() if head is None else head
    if path is None:
        return Freshness(True, f"{what} {_age(age)} old; HEAD not compared (BOT_REPO_DIR "
                               f"not set)")
    if not sha:
        return Freshness(True, f"{what} {_age(age)} old; {path} has no git HEAD to compare")
    if not commit:
        return Freshness(False, f"{what} names no commit, and the bot is at {sha[:12]}")
    full = git_commit_resolve(path, commit)
    if not full:
        return Freshness(False, f"{what} is for commit {commit[:12]}, which the bot's "
                                f"checkout {path} does not have (fetch it, or the evidence "
                                f"is for another repository)")
    if full != sha and not git_is_ancestor(path, sha, full):
        return Freshness(False, f"the bot's HEAD moved to {sha[:12]}, past {what}'s commit "
                                f"{full[:12]}")
    return Freshness(True, f"{what} {_age(age)} old, at the bot's HEAD {full[:12]}"
                     if full == sha else
                     f"{what} {_age(age)} old, at {full[:12]} (ahead of the checkout's "
                     f"{sha[:12]})")
