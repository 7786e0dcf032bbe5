"""The deployment rules every checker shares, each in one place.

`preflight` (deployments), the launch checklist's verifiers (checklist), the
`check --deploy` warnings (opsportal.checks) and the settings themselves read
these. Plain constants: importing this module needs no configured Django, so
opsportal/settings.py can import it too.
"""

# What production cannot run without: README.md, .env.production.example and
# docs/deployment.md document each. NAME_FILE satisfies NAME (Docker/K8s secrets).
REQUIRED_ENVIRONMENT = (
    "SECRET_KEY",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "ALLOWED_HOSTS",
    "BACKUP_DIR",
    "BACKUP_ENCRYPTION_KEY",
    "WALLET_KEYS_DIR",
    "BOT_CONTROL_URL",
)

# Not a secret: the key settings.py falls back to with DEBUG on and no SECRET_KEY.
DEVELOPMENT_SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"  # noqa: S105

# Values shipped in examples and tests (.env.example, .env.production.example,
# pyproject.toml's test settings) and the development key: never a real secret.
PLACEHOLDER_SECRETS = frozenset({
    "change-me-to-50-random-characters",
    DEVELOPMENT_SECRET_KEY,
    "test-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz",
    "replace-with-the-output-of-secrets.token_urlsafe-50-xxxxxxxxxxxxxxxx",
})

# A production SECRET_KEY is at least this long (secrets.token_urlsafe(50) gives 67).
SECRET_KEY_MIN_LENGTH = 50


def environment_missing(environ) -> list[str]:
    """The required variables that neither NAME nor NAME_FILE sets in `environ`."""
    return [n for n in REQUIRED_ENVIRONMENT
            if not (environ.get(n) or environ.get(f"{n}_FILE"))]


def secret_key_is_placeholder(key: str) -> bool:
    """A known placeholder, or too short to be a real production key."""
    return key in PLACEHOLDER_SECRETS or len(key) < SECRET_KEY_MIN_LENGTH
