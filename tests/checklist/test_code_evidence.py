"""The code-quality items read the newest scan of the bot's repository: its numbers,
its commit, and whether the bot's HEAD has moved since."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from checklist.models import ChecklistItem, ItemStatus, SuccessMetric
from checklist.services.metrics import success_metric_enter, success_metrics_evaluate
from checklist.services.verification import checklist_verify
from checklist.verifiers import REGISTRY
from codescans.freshness import evidence_freshness
from codescans.git import git_head
from codescans.models import CodeReview, CoverageReport, RepoScan, TestReport
from codescans.services import repo_scan_run
from tests.codescans.conftest import _git, bot_repo  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def verify(key):
    return REGISTRY[key](timezone.now())


def metric_rows():
    return {r["key"]: r for r in success_metrics_evaluate(metrics={})}


def commit_more(repo, name="more.py", text="x = 1\n"):
    (repo / "bot" / name).write_text(text)
    _git(repo, "add", "bot")
    _git(repo, "commit", "-q", "-m", name)
    return git_head(repo)


def test_without_a_scan_the_code_items_have_no_evidence_and_say_why(plan, settings):
    settings.BOT_REPO_DIR = ""
    passed, detail, _ = verify("database_consolidated")
    assert not passed and "BOT_REPO_DIR is not set" in detail
    passed, detail, _ = verify("security_scan_clean")
    assert not passed and "bot code security scan" in detail
    rows = metric_rows()
    for key in ["sleep-calls", "file-size", "linting", "databases"]:
        assert rows[key]["value"] is None and rows[key]["met"] is None, key
        assert "BOT_REPO_DIR is not set" in rows[key]["source"]


def test_a_scan_fills_the_code_items_with_its_numbers_and_commit(plan, bot_repo):  # noqa: F811
    scan = repo_scan_run()
    head = scan.commit[:12]
    assert head
    passed, detail, evidence = verify("database_consolidated")
    # The fixture's code names two stores: the SQLite file and the PostgreSQL URL.
    assert passed and evidence == scan
    assert f"names 2 data store(s) (repo scan #{scan.pk} at {head})" in detail
    assert "hunter2" not in detail
    passed, detail, _ = verify("security_scan_clean")
    assert not passed and f"bot code (repo scan #{scan.pk} at {head}" in detail
    assert "at medium or higher" in detail
    rows = metric_rows()
    assert rows["sleep-calls"]["value"] == scan.sleep_calls and rows["sleep-calls"]["met"]
    assert rows["file-size"]["value"] == 1 and rows["file-size"]["met"] is False
    assert rows["linting"]["value"] == scan.lint_errors > 0
    assert rows["linting"]["met"] is False
    assert rows["databases"]["value"] == 2 and rows["databases"]["met"] is True
    assert rows["linting"]["source"] == f"repo scan #{scan.pk} at {head}"


def test_more_than_three_data_stores_in_the_bots_code_is_a_no_go(plan, bot_repo):  # noqa: F811
    commit_more(bot_repo, "stores.py", 'A = "a.db"\nB = "b.sqlite3"\n'
                                       'C = "mysql://u@h/db"\n')
    repo_scan_run()
    checklist_verify()
    item = ChecklistItem.objects.get(key="infra-db-consolidated")
    assert item.status != ItemStatus.DONE
    assert item.verifications.first().detail.startswith(
        "the bot's code names 5 data store(s)")


def test_moving_the_bots_head_past_the_scan_makes_it_stale(plan, bot_repo):  # noqa: F811
    scan = repo_scan_run()
    checklist_verify()
    assert ChecklistItem.objects.get(key="infra-db-consolidated").status == ItemStatus.DONE
    new_head = commit_more(bot_repo)
    checklist_verify()
    item = ChecklistItem.objects.get(key="infra-db-consolidated")
    assert item.status == ItemStatus.TODO
    detail = item.verifications.first().detail
    assert f"the bot's HEAD moved to {new_head[:12]}, past repo scan #{scan.pk}" in detail
    rows = metric_rows()
    assert rows["sleep-calls"]["value"] is None and rows["sleep-calls"]["met"] is None
    assert "stale: the bot's HEAD moved" in rows["sleep-calls"]["source"]
    repo_scan_run()  # a fresh scan at the new HEAD speaks for it again
    assert verify("database_consolidated")[0]


def test_a_scan_older_than_its_ttl_is_stale(plan, bot_repo, settings):  # noqa: F811
    scan = repo_scan_run()
    settings.BOT_REPO_SCAN_MAX_AGE_HOURS = 48
    RepoScan.objects.filter(pk=scan.pk).update(
        finished_at=timezone.now() - timedelta(hours=49))
    passed, detail, _ = verify("database_consolidated")
    assert not passed and "is 2 days old, older than its 2 days TTL" in detail


def test_evidence_for_a_commit_the_checkout_lacks_is_not_trusted(plan, bot_repo):  # noqa: F811
    state = evidence_freshness(what="coverage", commit="deadbeef" * 5, at=timezone.now(),
                               max_age=timedelta(days=1), now=timezone.now())
    assert not state.fresh and "does not have" in state.reason
    old = git_head(bot_repo)
    new = commit_more(bot_repo)
    _git(bot_repo, "checkout", "-q", old)  # the checkout lags behind the CI's commit
    state = evidence_freshness(what="coverage", commit=new[:10], at=timezone.now(),
                               max_age=timedelta(days=1), now=timezone.now())
    assert state.fresh and "ahead of the checkout's" in state.reason


def test_a_folder_inside_another_repository_has_no_commit_of_its_own(tmp_path):
    repo = tmp_path / "outer"
    (repo / "tracked").mkdir(parents=True)
    (repo / "tracked" / "a.py").write_text("x = 1\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "tracked")
    _git(repo, "commit", "-q", "-m", "a")
    (repo / "untracked").mkdir()
    (repo / "untracked" / "b.py").write_text("y = 2\n")
    assert len(git_head(repo / "tracked")) == 40
    assert git_head(repo / "untracked") == ""
    assert git_head(tmp_path) == ""


def test_a_measured_metric_cannot_be_entered_by_hand(plan, operator):
    metric = SuccessMetric.objects.get(key="sleep-calls")
    with pytest.raises(ValidationError, match="measured by the portal"):
        success_metric_enter(metric=metric, value=5, source="trust me", user=operator)
    assert not metric.entries.exists()


def _sha():
    return uuid.uuid4().hex


def _coverage(commit, rate=0.85, **kw):
    return CoverageReport.objects.create(sha256=_sha(), commit=commit, format="cobertura",
                                         line_rate=rate, lines_covered=int(rate * 1000),
                                         lines_valid=1000, **kw)


def _tests(commit, failures=0, **kw):
    return TestReport.objects.create(sha256=_sha(), commit=commit, tests=120,
                                     failures=failures, errors=0, skipped=2, **kw)


def test_coverage_needs_a_passing_test_run_at_the_bots_commit(plan, bot_repo):  # noqa: F811
    head = git_head(bot_repo)
    passed, detail, _ = verify("bot_test_coverage")
    assert not passed and "no coverage report from the bot's CI yet" in detail
    report = _coverage(head, rate=0.79)
    passed, detail, evidence = verify("bot_test_coverage")
    assert not passed and "coverage 79.0 % of 1000 lines" in detail and evidence == report
    assert "no tests report from the bot's CI yet" in detail
    _coverage(head, rate=0.83)
    _tests(head, failures=1)
    passed, detail, _ = verify("bot_test_coverage")
    assert not passed and "1 failed" in detail
    _tests(head)
    passed, detail, _ = verify("bot_test_coverage")
    assert passed and "coverage 83.0 %" in detail and "118 passed, 0 failed" in detail
    assert metric_rows()["coverage"]["value"] == 0.83
    assert metric_rows()["coverage"]["met"] is True
    commit_more(bot_repo)  # the bot moved on: the reports no longer speak for it
    passed, detail, _ = verify("bot_test_coverage")
    assert not passed and "stale: the bot's HEAD moved" in detail
    assert metric_rows()["coverage"]["value"] is None


def test_coverage_older_than_its_ttl_is_stale(plan, settings):
    settings.BOT_REPO_DIR = ""
    settings.CI_EVIDENCE_MAX_AGE_DAYS = 7
    old = timezone.now() - timedelta(days=8)
    _coverage("a" * 40, received_at=old)
    _tests("a" * 40)
    passed, detail, _ = verify("bot_test_coverage")
    assert not passed and "8 days old, older than its 7 days TTL" in detail


def test_code_review_is_of_the_commit_the_bot_is_at(plan, bot_repo):  # noqa: F811
    head = git_head(bot_repo)
    passed, detail, _ = verify("bot_code_review")
    assert not passed and f"no code review recorded for the bot's commit {head[:12]}" in detail
    CodeReview.objects.create(sha256=_sha(), commit="b" * 40, change="#12", approved_by=["ana"])
    assert not verify("bot_code_review")[0]  # another commit's review is not this one
    review = CodeReview.objects.create(sha256=_sha(), commit=head[:10], change="#13",
                                       approved_by=["ana", "bo"])
    passed, detail, evidence = verify("bot_code_review")
    assert passed and evidence == review and "approved by ana, bo" in detail
    checklist_verify()
    assert ChecklistItem.objects.get(key="cq-code-review").status == ItemStatus.DONE
    new = commit_more(bot_repo)
    passed, detail, _ = verify("bot_code_review")
    assert not passed and f"for the bot's commit {new[:12]}" in detail
