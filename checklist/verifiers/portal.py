"""Verifiers of the portal's own configuration: databases, migrations, docs, environment."""

import os
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from checklist.verifiers import Result, verifier

MAX_DATABASES = 3
# The four guides of the plan's Task 2, as MkDocs builds them (use_directory_urls).
DOC_PAGES = {
    "user-guide": "user-guide/index.html",
    "api-reference": "api-reference/index.html",
    "developer-guide": "developer-guide/index.html",
    "runbook": "runbook/index.html",
}


@verifier("database_consolidated")
def database_consolidated(now: datetime) -> Result:
    names = sorted(settings.DATABASES)
    passed = len(names) <= MAX_DATABASES
    return passed, (f"{len(names)} database(s) configured ({', '.join(names)}); "
                    f"the plan allows ≤{MAX_DATABASES}"), None


@verifier("database_migrated")
def database_migrated(now: datetime) -> Result:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        pending = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        return False, f"{len(plan)} migration(s) not applied: {pending}", None
    return True, "every migration is applied", None


def _docs_missing(pages: list[str]) -> list[str]:
    site = Path(settings.DOCS_SITE_DIR)
    return [p for p in pages if not (site / p).is_file()]


def _docs_result(pages: list[str]) -> Result:
    missing = _docs_missing(pages)
    site = settings.DOCS_SITE_DIR
    if missing:
        return False, f"missing from the built site {site}: {', '.join(missing)}", None
    return True, f"built at {site}: {', '.join(pages)} (served at /docs/)", None


@verifier("docs_built")
def docs_built(now: datetime) -> Result:
    return _docs_result(["index.html", *DOC_PAGES.values()])


@verifier("docs_user_guide")
def docs_user_guide(now: datetime) -> Result:
    return _docs_result([DOC_PAGES["user-guide"]])


@verifier("docs_api_reference")
def docs_api_reference(now: datetime) -> Result:
    return _docs_result([DOC_PAGES["api-reference"]])


@verifier("docs_runbook")
def docs_runbook(now: datetime) -> Result:
    return _docs_result([DOC_PAGES["runbook"]])


# The contract's configuration (README / .env.example): set in the environment,
# not left to development defaults. X_FILE counts for X (Docker/K8s secrets).
DEPLOY_ENV = ("DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "BACKUP_DIR",
              "BACKUP_ENCRYPTION_KEY", "WALLET_KEYS_DIR", "BOT_CONTROL_URL")
# Not a secret: the known development default that preflight must refuse.
DEV_SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"  # noqa: S105


@verifier("environment_configured")
def environment_configured(now: datetime) -> Result:
    missing = [n for n in DEPLOY_ENV if not (os.environ.get(n) or os.environ.get(f"{n}_FILE"))]
    if missing:
        return False, f"not set in the environment: {', '.join(missing)}", None
    return True, f"set: {', '.join(DEPLOY_ENV)}", None


@verifier("secrets_configured")
def secrets_configured(now: datetime) -> Result:
    problems = []
    if settings.DEBUG:
        problems.append("DEBUG is on")
    if settings.SECRET_KEY == DEV_SECRET_KEY or len(settings.SECRET_KEY) < 50:
        problems.append("SECRET_KEY is the development key or shorter than 50 characters")
    if not settings.BACKUP_ENCRYPTION_KEYS:
        problems.append("BACKUP_ENCRYPTION_KEY is not set (wallet-key backups need it)")
    if problems:
        return False, "; ".join(problems), None
    return True, "SECRET_KEY set (≥50 characters), BACKUP_ENCRYPTION_KEY set, DEBUG off", None
