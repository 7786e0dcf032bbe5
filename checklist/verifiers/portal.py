"""Verifiers of the portal's own configuration: migrations, docs, environment.

(The bot's data stores are counted in code.py, from the scan of its repository.)
"""

import os
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from checklist.verifiers import Result, verifier
from common.deploy_rules import (
    REQUIRED_ENVIRONMENT,
    environment_missing,
    secret_key_is_placeholder,
)
from deployments.selectors import docs_examples_latest, docs_site_results

# The four guides of the plan's Task 2, as `check_docs` names its page checks.
DOC_PAGES = {
    "user-guide": "page user-guide",
    "api-reference": "page api-reference",
    "developer-guide": "page developer-guide",
    "runbook": "page runbook",
}
API_EXAMPLES = "api examples"


@verifier("database_migrated")
def database_migrated(now: datetime) -> Result:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        pending = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        return False, f"{len(plan)} migration(s) not applied: {pending}", None
    return True, "every migration is applied", None


def _api_examples(now: datetime) -> tuple[dict, object | None]:
    """The API examples' result from the latest `check_docs` run that ran them."""
    run = docs_examples_latest(name=API_EXAMPLES)
    if run is None:
        return {"name": API_EXAMPLES, "status": "fail",
                "detail": "never run (manage.py check_docs)"}, None
    result = next(r for r in run.results if r["name"] == API_EXAMPLES)
    ttl = settings.DOCS_CHECK_MAX_AGE_DAYS
    age = now - run.finished_at
    if age > timedelta(days=ttl):
        return {**result, "status": "fail",
                "detail": f"stale: {age.days} days old, TTL {ttl}"}, run
    return result, run


def _docs_result(now: datetime, names: list[str] | None) -> Result:
    """The built site checked now, and the API examples as `check_docs` last ran them:
    the named checks (None: every one) must pass."""
    results = docs_site_results()
    run = None
    if names is None or API_EXAMPLES in names:
        examples, run = _api_examples(now)
        results.append(examples)
    by_name = {r["name"]: r for r in results}
    # A site that is not there at all fails every item with that one reason.
    wanted = list(by_name) if names is None or set(by_name) & {"nav", "site"} else names
    problems = []
    for name in wanted:
        result = by_name.get(name)
        if result is None:
            problems.append(f"{name}: not in mkdocs.yml's nav")
        elif result["status"] != "pass":
            problems.append(f"{name}: {result.get('detail') or result['status']}")
    if problems:
        return False, "; ".join(problems), run
    return True, "; ".join(f"{n}: {by_name[n].get('detail', '')}" for n in wanted), run


@verifier("docs_built")
def docs_built(now: datetime) -> Result:
    # Every nav page built with its title, no broken internal link, the API examples pass.
    return _docs_result(now, None)


@verifier("docs_user_guide")
def docs_user_guide(now: datetime) -> Result:
    return _docs_result(now, [DOC_PAGES["user-guide"], "internal links"])


@verifier("docs_api_reference")
def docs_api_reference(now: datetime) -> Result:
    return _docs_result(now, [DOC_PAGES["api-reference"], API_EXAMPLES])


@verifier("docs_runbook")
def docs_runbook(now: datetime) -> Result:
    return _docs_result(now, [DOC_PAGES["runbook"], "internal links"])


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
