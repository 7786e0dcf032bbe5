"""Production-shaped environments for the commands under test."""

import os
import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def production_example_env() -> dict:
    """The variables of .env.production.example, with fresh secrets in place of the
    placeholders (an example file cannot ship real ones)."""
    values = {}
    for line in (ROOT / ".env.production.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    values["SECRET_KEY"] = secrets.token_urlsafe(50)
    values["BACKUP_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    values["FIELD_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    return values


def clean_env(**values) -> dict:
    """This process's environment without the portal's settings, plus `values`."""
    env = {k: v for k, v in os.environ.items()
           if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER"}}
    env["PYTHONUNBUFFERED"] = "1"
    env.update({k: str(v) for k, v in values.items()})
    return env
