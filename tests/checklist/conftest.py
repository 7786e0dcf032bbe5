import pytest
from django.contrib.auth.models import User

from checklist.models import ChecklistItem, ItemStatus
from checklist.services import checklist_bootstrap
from checklist.services.items import checklist_item_set_status, checklist_item_waive
from checklist.verifiers.portal import DOC_PAGES


@pytest.fixture
def plan(db):
    checklist_bootstrap()
    return ChecklistItem.objects.all()


@pytest.fixture
def docs_site(tmp_path, settings):
    """A built MkDocs site with the index and the four guides."""
    site = tmp_path / "site"
    for page in ["index.html", *DOC_PAGES.values()]:
        (site / page).parent.mkdir(parents=True, exist_ok=True)
        (site / page).write_text("<html>built</html>")
    settings.DOCS_SITE_DIR = str(site)
    return site


@pytest.fixture
def approver(roles):
    # No password: hashing one costs a third of a second per test.
    return User.objects.create_user("approver", is_staff=True)


@pytest.fixture
def close_all_but(approver):
    """Close every required item except the given keys (done by hand or waived)."""


    def close(*keep_open: str):
        for n, item in enumerate(ChecklistItem.objects.filter(required=True)
                                 .exclude(key__in=keep_open)):
            # Hand-ticked items with a failing verifier would go stale: waive those.
            if n % 2 or item.verifier_key:
                checklist_item_waive(item=item, reason="not applicable to V1", approver=approver)
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
