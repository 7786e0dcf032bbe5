"""Verifiers of the portal's own configuration: migrations, docs, environment.

(The bot's data stores are counted in code.py, from the scan of its repository.)
"""

import os
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from checklist.verifiers import Result, verifier
from common.deploy_rules import (
    REQUIRED_ENVIRONMENT,
    environment_missing,
    secret_key_is_placeholder,
)

# The four guides of the plan's Task 2, as MkDocs builds them (use_directory_urls).
DOC_PAGES = {
    "user-guide": "user-guide/index.html",
    "api-reference": "api-reference/index.html",
    "developer-guide": "developer-guide/index.html",
    "runbook": "runbook/index.html",
}


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


@verifier("environment_configured")
def environment_configured(now: datetime) -> Result:
    # The contract's configuration, set in the environment, not left to development defaults.
    missing = environment_missing(os.environ)
    if missing:
        return False, f"not set in the environment: {', '.join(missing)}", None
    return True, f"set: {', '.join(REQUIRED_ENVIRONMENT)}", None


@verifier("secrets_configured")
def secrets_configured(now: datetime) -> Result:
    problems = []
    if settings.DEBUG:
        problems.append("DEBUG is on")
    if secret_key_is_placeholder(settings.SECRET_KEY):
        problems.append("SECRET_KEY is the development key, an example placeholder or shorter "
                        "than 50 characters")
    if not settings.BACKUP_ENCRYPTION_KEYS:
        problems.append("BACKUP_ENCRYPTION_KEY is not set (wallet-key backups need it)")
    if problems:
        return False, "; ".join(problems), None
    return True, "SECRET_KEY set (≥50 characters), BACKUP_ENCRYPTION_KEY set, DEBUG off", None
