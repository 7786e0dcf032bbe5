"""`check --deploy` warnings for a production configuration that would misbehave.

Django's own deploy checks cover cookies, HSTS and DEBUG; these cover the
portal's choices that are fine on a laptop and wrong in production.
"""

from django.conf import settings
from django.core.checks import Tags, Warning, register

from common.deploy_rules import PLACEHOLDER_SECRETS


@register(Tags.security, deploy=True)
def production_configuration(app_configs=None, **kwargs):
    problems = []
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and not settings.DEBUG:
        problems.append(Warning(
            "SQLite is the database while DEBUG is off.",
            hint="Set DATABASE_URL=postgres://... : web, worker and beat on several hosts "
                 "need a server database.", id="opsportal.W001"))
    if settings.CELERY_BROKER_URL.startswith("filesystem://") and not settings.DEBUG:
        problems.append(Warning(
            "The embedded filesystem Celery broker is used while DEBUG is off.",
            hint="Set CELERY_BROKER_URL=redis://... (or amqp://): the embedded broker only "
                 "works for processes on one machine.", id="opsportal.W002"))
    if not settings.BACKUP_ENCRYPTION_KEYS:
        problems.append(Warning(
            "BACKUP_ENCRYPTION_KEY is not set: wallet-key backups cannot be encrypted.",
            hint="Set BACKUP_ENCRYPTION_KEY (or BACKUP_ENCRYPTION_KEY_FILE) to a Fernet key.",
            id="opsportal.W003"))
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache") and not settings.DEBUG:
        problems.append(Warning(
            "The cache is per-process local memory while DEBUG is off.",
            hint="Set CACHE_URL=redis://...: gunicorn workers, the worker and beat must "
                 "share one cache.", id="opsportal.W004"))
    if settings.SECRET_KEY in PLACEHOLDER_SECRETS:
        problems.append(Warning(
            "SECRET_KEY is a placeholder from an example file or the tests.",
            hint="Generate one: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'.",
            id="opsportal.W005"))
    if not settings.FIELD_ENCRYPTION_KEYS:
        problems.append(Warning(
            "FIELD_ENCRYPTION_KEY is not set: channel and RPC URLs are encrypted with a key "
            "derived from SECRET_KEY.",
            hint="Set FIELD_ENCRYPTION_KEY (or FIELD_ENCRYPTION_KEY_FILE) to a Fernet key, so "
                 "rotating SECRET_KEY after a leak does not lock the stored URLs away.",
            id="opsportal.W006"))
    return problems
