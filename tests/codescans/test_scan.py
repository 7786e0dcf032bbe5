"""A scan of the small bot repository in conftest.py: every number, and the failures."""

import subprocess

import pytest

from codescans import selectors, services
from codescans.analysis import analyse_source
from codescans.models import RepoScan
from codescans.services import RepoScanError, repo_scan_run

pytestmark = pytest.mark.django_db


def test_a_scan_records_every_number_of_the_repository(bot_repo):
    scan = repo_scan_run(trigger="command")
    head = subprocess.run(["git", "-C", str(bot_repo), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    scan.refresh_from_db()
    assert (scan.status, scan.error, scan.trigger) == ("succeeded", "", "command")
    assert scan.repo_dir == str(bot_repo.resolve())
    assert scan.commit == head and len(head) == 40
    assert (scan.lint_select, scan.security_select) == ("E,F,W,B", "S")
    # __init__ 0 + big 1200 + sleepy 13 + store 12 + unsafe 9 + lint 6 + broken 2 lines;
    # not the binary, non-UTF-8, symlinked, vendored or non-.py files.
    assert scan.python_files == 7
    assert scan.python_lines == 1242
    assert scan.files_over_1000 == [{"path": "bot/big.py", "lines": 1200}]
    # time.sleep, asyncio.sleep, sleep (from time), nap (sleep as nap), client.sleep:
    # the symlink to sleepy.py, the file out of the tree and .venv are not counted.
    assert scan.sleep_calls == 5
    assert scan.sleep_by_file == {"bot/sleepy.py": 5}
    assert scan.unparsable == [{"path": "bot/broken.py", "error": "line 1: invalid syntax"}]
    assert scan.lint_by_rule == {"E711": 1, "E741": 1, "F401": 1, "F841": 1}
    assert scan.lint_errors == 4
    assert scan.security_by_severity == {"high": 2}  # S602 shell=True, S307 eval
    assert scan.security_findings == 2
    assert scan.data_stores == [
        {"kind": "postgresql", "ref": "postgres://bot:********@db.internal:5432/trades",
         "where": ["bot/store.py:4"]},
        {"kind": "sqlite file", "ref": "data/trades.db",
         "where": ["bot/store.py:3", "bot/store.py:12"]},
    ]
    assert scan.data_store_count == 2
    assert scan.skipped == [
        {"path": ".venv/", "reason": "vendored folder"},
        {"path": "node_modules/", "reason": "vendored folder"},
        {"path": "outside_dir/", "reason": "symlink out of the tree (not followed)"},
        {"path": "bot/blob.py", "reason": "binary (NUL bytes)"},
        {"path": "bot/latin.py", "reason": "not UTF-8 (byte 5)"},
        {"path": "bot/outside.py", "reason": "symlink out of the tree (not followed)"},
    ]
    assert "hunter2" not in str(scan.data_stores)
    assert scan.finished_at >= scan.started_at and scan.duration_seconds > 0
    assert selectors.repo_scan_latest() == scan


def test_the_bots_own_ruff_config_does_not_change_the_pinned_rules(bot_repo):
    (bot_repo / "pyproject.toml").write_text('[tool.ruff.lint]\nselect = ["E711"]\n'
                                             'ignore = ["F401", "S"]\n')
    scan = repo_scan_run()
    assert scan.lint_errors == 4 and scan.security_findings == 2


def test_a_directory_that_is_no_git_checkout_has_no_commit(tmp_path, settings):
    (tmp_path / "a.py").write_text("import time\ntime.sleep(1)\n")
    scan = repo_scan_run(repo_dir=str(tmp_path))
    assert (scan.status, scan.commit, scan.python_files, scan.sleep_calls) == (
        "succeeded", "", 1, 1)


def test_an_empty_repository_scans_to_zeros(tmp_path):
    scan = repo_scan_run(repo_dir=str(tmp_path))
    assert (scan.status, scan.python_files, scan.lint_errors, scan.skipped) == (
        "succeeded", 0, 0, [])


def test_too_large_files_are_skipped(tmp_path, settings):
    settings.BOT_REPO_MAX_FILE_BYTES = 10
    (tmp_path / "big.py").write_text("x = 1\n" * 5)
    scan = repo_scan_run(repo_dir=str(tmp_path))
    assert scan.skipped == [{"path": "big.py", "reason": "too large (30 bytes > 10)"}]
    assert scan.python_files == 0


def test_unset_or_missing_repository_is_refused_before_any_row(settings, tmp_path):
    settings.BOT_REPO_DIR = ""
    with pytest.raises(RepoScanError, match="BOT_REPO_DIR is not set"):
        repo_scan_run()
    with pytest.raises(RepoScanError, match="is not a directory"):
        repo_scan_run(repo_dir=str(tmp_path / "nope"))
    assert not RepoScan.objects.exists()


def test_a_scan_whose_ruff_cannot_run_is_failed_with_no_numbers(bot_repo, monkeypatch):
    monkeypatch.setattr(services, "_tool", lambda name: "/nonexistent/ruff")
    scan = repo_scan_run(trigger="schedule")
    scan.refresh_from_db()
    assert scan.status == "failed"
    assert scan.error.startswith("ruff did not start:")
    assert (scan.python_files, scan.sleep_calls, scan.lint_errors, scan.skipped) == (0, 0, 0, [])
    assert scan.finished_at is not None
    assert selectors.repo_scan_latest() is None
    assert selectors.repo_scan_latest(succeeded_only=False) == scan


def test_an_unexpected_error_fails_the_scan_with_its_reason(bot_repo, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services.analysis, "analyse_source", boom)
    scan = repo_scan_run()
    assert (scan.status, scan.error) == ("failed", "RuntimeError: disk on fire")


def test_sleep_forms_counted_on_the_syntax_tree():
    source = (b"import time, asyncio\nfrom time import sleep as zz\n"
              b"time.sleep(1)\nasyncio.sleep(1)\nzz(1)\nself.clock.sleep(2)\n"
              b"sleep(1)\nsleep\nx = 'time.sleep(3)'\n# time.sleep(4)\n")
    # `sleep(1)` without `from time import sleep` is some other function.
    assert analyse_source(source).sleep_calls == 4


def test_store_references_in_string_literals():
    source = (b"A = 'mysql://u:pw@h/db'\nB = 'redis://cache:6379/1'\n"
              b"C = 'sqlite:///var/bot.sqlite3'\nD = 'mongodb+srv://x@cluster/db'\n"
              b"E = f'/data/{name}.sqlite'\n# 'postgres://in/a/comment'\n")
    stores = [(kind, ref) for kind, ref, _ in analyse_source(source).stores]
    assert stores == [("mysql", "mysql://u:********@h/db"), ("redis", "redis://cache:6379/1"),
                      ("sqlite", "sqlite:///var/bot.sqlite3"),
                      ("mongodb", "mongodb+srv://********@cluster/db"),
                      ("sqlite file", "/data/{}.sqlite")]


def test_the_lexer_counts_what_the_syntax_tree_counts():
    from codescans.analysis import analyse_source_ast
    from tests.codescans import conftest

    tricky = (b'def sleep(x):\n    """time.sleep(1) in a docstring\n    \'\'\' sleep(2) """\n'
              b"    return x\n\n\nclass A:\n    def sleep(self): pass\n\n\nA().sleep ( 3 )\n"
              b"from time import (\n    sleep,\n)\nsleep(4)\nx = r'\\' # sleep(5)'\n"
              b"y = f'{a}/{b}.db' + \"redis://r:6379\"  # 'mysql://no'\n")
    sources = [s.encode() for s in (conftest.SLEEPY, conftest.STORE, conftest.UNSAFE,
                                    conftest.LINT, conftest.OUTSIDE)] + [tricky]
    for source in sources:
        lexed, tree = analyse_source(source), analyse_source_ast(source)
        assert (lexed.sleep_calls, lexed.stores) == (tree.sleep_calls, tree.stores), source
    assert analyse_source(tricky).sleep_calls == 2


def test_data_stores_named_only_in_test_code_are_not_counted(bot_repo):
    tests = bot_repo / "tests"
    tests.mkdir()
    (tests / "helpers.py").write_text('FIXTURE = "fixture.db"\n')
    (bot_repo / "bot" / "test_store.py").write_text('DB = "postgres://u@h/test_db"\n')
    (bot_repo / "bot" / "store_test.py").write_text('DB = "other.sqlite3"\n')
    (bot_repo / "conftest.py").write_text('DB = "conf.db"\n')
    (bot_repo / "bot" / "testing_tools.py").write_text('DB = "real.db"\n')  # not test code
    subprocess.run(["git", "-C", str(bot_repo), "add", "."], check=True)
    subprocess.run(["git", "-C", str(bot_repo), "-c", "user.name=t", "-c", "user.email=t@t",
                    "-c", "commit.gpgsign=false", "commit", "-q", "-m", "tests"], check=True)
    scan = repo_scan_run()
    refs = sorted(d["ref"] for d in scan.data_stores)
    assert refs == ["data/trades.db", "postgres://bot:********@db.internal:5432/trades",
                    "real.db"]
    assert scan.data_store_count == 3
    # Listed apart, sorted by kind then reference (the URL masked as everywhere).
    assert [(d["ref"], d["where"]) for d in scan.test_data_stores] == [
        ("postgres://********@h/test_db", ["bot/test_store.py:1"]),
        ("conf.db", ["conftest.py:1"]), ("fixture.db", ["tests/helpers.py:1"]),
        ("other.sqlite3", ["bot/store_test.py:1"])]
