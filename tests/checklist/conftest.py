import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from checklist.models import ChecklistItem, ItemStatus
from checklist.services import checklist_bootstrap
from checklist.services.items import checklist_item_set_status
from checklist.services.waivers import waiver_approve, waiver_request
from tests.monitoring.conftest import page_channel, webhook  # noqa: F401  (fixtures)


@pytest.fixture
def plan(db):
    checklist_bootstrap()
    return ChecklistItem.objects.all()


@pytest.fixture
def docs_site(tmp_path, settings, db):
    """A built MkDocs site (every nav page of mkdocs.yml, titled as MkDocs titles them)
    and a recorded `check_docs` run whose API examples passed."""
    import yaml
    from django.utils import timezone

    from deployments.docs_check import built_path, nav_pages
    from deployments.models import CheckRunKind
    from deployments.services import CheckResult, check_run_record

    config = yaml.safe_load(open(settings.DOCS_CONFIG_FILE))
    site = tmp_path / "site"
    for title, source in nav_pages(config):
        page = site / built_path(source)
        page.parent.mkdir(parents=True, exist_ok=True)
        name = "opsportal" if page.name == "index.html" and page.parent == site else \
            f"{title} - opsportal"
        page.write_text(f"<html><head><title>{name}</title></head><body>built</body></html>")
    settings.DOCS_SITE_DIR = str(site)
    check_run_record(kind=CheckRunKind.DOCS, target="test", started_at=timezone.now(),
                     results=[CheckResult("api examples", "pass", "2 passed in 9.1s")])
    return site


def _member(username: str, role: str) -> User:
    # No password: hashing one costs a third of a second per test.
    user = User.objects.create_user(username, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def approver(roles):
    """An Admin (by role) who approves waivers others ask for."""
    return _member("approver", "Admin")


@pytest.fixture
def asker(roles):
    """An Operator who asks for waivers."""
    return _member("asker", "Operator")


REASON = "Not applicable to V1: the feature ships in V1.1 and is switched off until then."


@pytest.fixture
def waive(asker, approver):
    """waive(item) -> an approved waiver: asked by an Operator, approved by another Admin."""

    def waive(item, *, reason: str = REASON, days: int = 7):
        waiver = waiver_request(item=item, reason=reason, user=asker,
                                expires_at=timezone.now() + datetime.timedelta(days=days))
        return waiver_approve(waiver=waiver, user=approver)

    return waive


@pytest.fixture
def close_all_but(approver, waive):
    """Close every required item except the given keys (done by hand or waived)."""

    def close(*keep_open: str):
        for n, item in enumerate(ChecklistItem.objects.filter(required=True)
                                 .exclude(key__in=keep_open)):
            # Hand-ticked items with a failing verifier would go stale: waive those.
            if n % 2 or item.verifier_key:
                waive(item)
            else:
                checklist_item_set_status(item=item, status=ItemStatus.DONE, actor=approver,
                                          evidence_url="https://example.com/evidence")

    return close


@pytest.fixture
def backup_env(settings, tmp_path, backup_dir):
    """A private backup directory, wallet keys, logs and an encryption key per test."""
    from cryptography.fernet import Fernet

    settings.WALLET_KEYS_DIR = tmp_path / "wallet_keys"
    (tmp_path / "wallet_keys").mkdir()
    (tmp_path / "wallet_keys" / "trader.json").write_text('{"secret_key": "test"}')
    settings.LOG_DIR = tmp_path / "log"
    (tmp_path / "log").mkdir()
    (tmp_path / "log" / "bot.log").write_text("started\n")
    settings.BACKUP_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    return tmp_path
