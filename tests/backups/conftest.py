import socket

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.db import connection

from backups.services.database import (
    DbTarget,
    pg_database_create,
    pg_database_drop,
    pg_scratch_name,
)


@pytest.fixture
def backup_env(settings, tmp_path, backup_dir):
    """A private backup directory, wallet keys, logs and an encryption key per test."""
    settings.WALLET_KEYS_DIR = tmp_path / "wallet_keys"
    settings.LOG_DIR = tmp_path / "log"
    settings.BACKUP_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    return tmp_path


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            pass
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", connect_timeout=2):
            return True
    except (OSError, psycopg.Error):
        return False


@pytest.fixture
def scratch_postgres():
    """A throwaway PostgreSQL database (whatever the default database is), dropped after."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        server = DbTarget("postgresql", "postgres", s["USER"] or "", s["PASSWORD"] or "",
                          s["HOST"] or "127.0.0.1", str(s["PORT"] or ""))
    elif postgres_reachable():
        server = DbTarget("postgresql", "postgres", "postgres", "", "127.0.0.1", "5432")
    else:
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    made = []

    def make() -> DbTarget:
        name = pg_scratch_name("ops_test")
        pg_database_create(server=server, name=name)
        made.append(name)
        return server.with_name(name)

    yield make
    for name in made:
        pg_database_drop(server=server, name=name)
