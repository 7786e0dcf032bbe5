import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from accounts.services import api_token_create, roles_bootstrap


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def make_token(db):
    """make_token("read,write") -> the raw key of a new token with those scopes."""

    def make(scopes: str = "read", name: str = "test"):
        _, raw = api_token_create(name=name, scopes=scopes.split(","))
        return raw

    return make


@pytest.fixture
def read_client(make_token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('read')}")
    return client


@pytest.fixture
def write_client(make_token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('read,write')}")
    return client


@pytest.fixture
def ingest_client(make_token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('ingest')}")
    return client


@pytest.fixture
def backup_dir(settings, tmp_path):
    """A private BACKUP_DIR, and the `backups` storage pointing at it, for one test."""
    path = tmp_path / "backups"
    settings.BACKUP_DIR = path
    settings.STORAGES = {**settings.STORAGES, "backups": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(path)}}}
    return path


@pytest.fixture
def roles(db):
    roles_bootstrap()


def _staff(username, role=None):
    user = User.objects.create_user(username, password="pw-" + username, is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def viewer(roles):
    return _staff("viewer", "Viewer")


@pytest.fixture
def operator(roles):
    return _staff("operator", "Operator")


@pytest.fixture
def incident_commander(roles):
    return _staff("commander", "Incident Commander")


@pytest.fixture
def portal_admin(roles):
    user = _staff("boss", "Admin")
    user.is_superuser = True
    user.save()
    return user


@pytest.fixture(autouse=True)
def _fresh_perf_recorder():
    # Request timings wait in process memory; each test starts (and ends) without any,
    # so an earlier test's samples never reach a later test's database.
    from monitoring.perf_recorder import recorder

    recorder.drain()
    yield
    recorder.drain()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit and lockout counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    from common.ratelimit import cache_failures_forget

    cache.clear()
    cache_failures_forget()
    yield
