"""The checklist's security items take the recorded scans as evidence."""

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import ScanStatus, SecurityScan
from accounts.scans import security_scan_bandit
from checklist.models import ChecklistItem, ItemStatus
from checklist.services.verification import checklist_verify
from checklist.verifiers.security import security_audit, security_scan_clean
from codescans.services import repo_scan_run
from tests.codescans.conftest import _git
from tests.deployments.helpers import PYTHON, ROOT, clean_env, production_example_env


@pytest.fixture
def clean_bot_scan(tmp_path, settings):
    """A scan of a bot repository with no security finding."""
    repo = tmp_path / "bot"
    (repo / "bot").mkdir(parents=True)
    (repo / "bot" / "main.py").write_text('def main():\n    return "ok"\n')
    _git(repo, "init", "-q")
    _git(repo, "add", "bot")
    _git(repo, "commit", "-q", "-m", "bot")
    settings.BOT_REPO_DIR = str(repo)
    return repo_scan_run()


def _pip_audit(status=ScanStatus.CLEAN, **fields) -> SecurityScan:
    # pip-audit's vulnerability service is outside this machine: its verdict is recorded
    # as the scan command would record it.
    return SecurityScan.objects.create(tool="pip-audit", status=status, findings=0,
                                       summary=fields.pop("summary", "212 packages audited, "
                                                          "none vulnerable, 1 skipped"),
                                       **fields)


@pytest.mark.django_db
def test_without_scans_the_security_scan_item_stays_open_and_says_what_to_run(plan):
    checklist_verify(now=timezone.now())
    item = ChecklistItem.objects.get(key="final-security-scan")
    assert item.status == ItemStatus.TODO
    ok, detail, _ = security_scan_clean(timezone.now())
    assert not ok and "ruff-bandit: never run (manage.py security_scan)" in detail


@pytest.mark.django_db
def test_clean_scans_tick_security_scan_clean_with_the_scan_as_evidence(plan, clean_bot_scan):
    security_scan_bandit()  # the real scan of this code
    _pip_audit()
    checklist_verify(now=timezone.now())
    item = ChecklistItem.objects.get(key="final-security-scan")
    assert item.status == ItemStatus.DONE, item.evidence_note
    assert item.evidence_object == clean_bot_scan
    assert "bot code (repo scan" in item.evidence_note
    assert "ruff-bandit: clean" in item.evidence_note and "pip-audit: clean" in item.evidence_note


@pytest.mark.django_db
def test_the_bots_own_security_findings_fail_the_security_scan(plan, clean_bot_scan):
    security_scan_bandit()
    _pip_audit()
    repo = clean_bot_scan.repo_dir
    (Path(repo) / "bot" / "run.py").write_text(
        "import subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n")
    _git(repo, "add", "bot")
    _git(repo, "commit", "-q", "-m", "shell")
    ok, detail, _ = security_scan_clean(timezone.now())
    assert not ok and "the bot's HEAD moved" in detail  # the clean scan no longer speaks
    scan = repo_scan_run()
    ok, detail, evidence = security_scan_clean(timezone.now())
    assert not ok and evidence == scan and "at medium or higher" in detail


@pytest.mark.django_db
def test_a_scan_that_could_not_run_or_is_old_or_found_something_is_not_clean(plan,
                                                                             clean_bot_scan):
    now = timezone.now()
    security_scan_bandit()
    unavailable = _pip_audit(ScanStatus.UNAVAILABLE, summary="could not reach its service")
    ok, detail, evidence = security_scan_clean(now)
    assert not ok and "pip-audit: could not run" in detail and evidence == unavailable

    _pip_audit(ScanStatus.FINDINGS, summary="1 known vulnerability")
    assert not security_scan_clean(now)[0]

    _pip_audit()
    assert security_scan_clean(now)[0]
    ok, detail, _ = security_scan_clean(now + timedelta(days=8))
    assert not ok and "older than 7 days" in detail and "older than its 2 days TTL" in detail


@pytest.mark.django_db
def test_the_security_audit_names_what_fails_on_a_development_configuration(settings, plan):
    settings.ADMIN_2FA_REQUIRED = False
    security_scan_bandit()
    ok, detail, evidence = security_audit(timezone.now())
    assert not ok
    # The suite runs over plain http with DEBUG off: Django's and the portal's deploy checks.
    assert "check --deploy: " in detail and "security.W008" in detail
    assert "admin two-factor authentication is not required" in detail
    assert evidence.tool == "ruff-bandit"


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="the production settings need a server database (PostgreSQL run)")
@pytest.mark.django_db(transaction=True)
def test_the_security_audit_passes_with_the_documented_production_settings(plan):
    security_scan_bandit()
    _pip_audit()
    db = connection.settings_dict
    env = clean_env(**production_example_env(),
                    DJANGO_SETTINGS_MODULE="opsportal.settings")
    env["DATABASE_URL"] = (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
                           f"{db['PORT'] or 5432}/{db['NAME']}")
    code = ("import django; django.setup(); from django.utils import timezone; "
            "from checklist.verifiers.security import security_audit, security_scan_clean; "
            "now = timezone.now(); print(security_audit(now)[:2]); "
            "print(security_scan_clean(now)[:2])")
    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    audit, scan = result.stdout.strip().splitlines()
    assert audit.startswith("(True, 'check --deploy clean; admin 2FA required; ruff-bandit: "
                            "clean"), audit
    # Without a checkout of the bot, its code is unscanned: never "clean".
    assert scan.startswith("(False, 'bot code security scan: BOT_REPO_DIR is not set"), scan
    assert "ruff-bandit: clean" in scan
