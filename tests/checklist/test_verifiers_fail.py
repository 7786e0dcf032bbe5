"""Every registered verifier can fail, and says why (issue 19.5).

A verifier that cannot return False is a tick, not a check. Each key of the
registry needs a case here: most fail on a fresh database (nothing has run yet);
the others are given the one condition their line is about. A verifier added
without a case fails `test_every_verifier_has_a_failing_case`.
"""

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from checklist.verifiers import REGISTRY
from common.deploy_rules import REQUIRED_ENVIRONMENT

pytestmark = pytest.mark.django_db


def fresh(settings, monkeypatch):
    """Nothing has run, nothing is configured."""


def unapplied_migration(settings, monkeypatch):
    # One applied migration forgotten: the executor sees it as pending.
    MigrationRecorder(connection).migration_qs.filter(app="deployments").order_by(
        "-applied").first().delete()


def no_docs_site(settings, monkeypatch, tmp_path_factory=None):
    settings.DOCS_SITE_DIR = "/nonexistent/site"


def environment_unset(settings, monkeypatch):
    for name in REQUIRED_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


def debug_on(settings, monkeypatch):
    settings.DEBUG = True


def no_bot_repo(settings, monkeypatch):
    settings.BOT_REPO_DIR = ""


FAILING_CASES = {
    "backups_automated": fresh,
    "bot_code_review": fresh,
    "bot_test_coverage": fresh,
    "checklist_complete": fresh,
    "database_consolidated": no_bot_repo,
    "database_migrated": unapplied_migration,
    "docs_api_reference": no_docs_site,
    "docs_built": no_docs_site,
    "docs_runbook": no_docs_site,
    "docs_user_guide": no_docs_site,
    "environment_configured": environment_unset,
    "feature_bags": fresh,
    "feature_demo": fresh,
    "feature_tpsl": fresh,
    "feature_vibe": fresh,
    "feature_websocket": fresh,
    "go_recorded": fresh,
    "health_check": fresh,  # degraded: no scheduler, RPC endpoint, websocket or backup
    "load_test_passed": fresh,
    "monitoring_configured": fresh,
    "monitoring_operational": fresh,
    "performance_benchmarks": fresh,
    "api_keys_valid": fresh,  # no API key registered
    "restore_tested": fresh,
    "rollback_rehearsed": fresh,
    "scheduler_running": fresh,
    "secrets_configured": debug_on,
    "security_audit": fresh,
    "security_scan_clean": fresh,
    "ssl_certificates_valid": fresh,  # no https dependency registered
    "staging_deployed": fresh,
}


def test_every_verifier_has_a_failing_case():
    missing = sorted(set(REGISTRY) - set(FAILING_CASES))
    assert not missing, f"add a failing case for: {', '.join(missing)}"
    assert not sorted(set(FAILING_CASES) - set(REGISTRY)), "a case for a verifier that is gone"


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_each_verifier_can_fail_and_says_why(key, plan, settings, monkeypatch):
    FAILING_CASES[key](settings, monkeypatch)
    passed, detail, _evidence = REGISTRY[key](timezone.now())
    assert passed is False, f"{key} passed: {detail}"
    assert isinstance(detail, str) and detail.strip(), key
