"""The one settings module: everything that differs between machines comes from
the environment (see .env.example and docs/runbook.md)."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from common.deploy_rules import DEVELOPMENT_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A .env file beside manage.py is read if present; real environment variables win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _secret(name: str, default: str | None = None) -> str | None:
    """A secret from NAME, or from the file NAME_FILE points at (Docker/K8s secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


VERSION = "1.0.0"
DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = _secret("SECRET_KEY")
if not SECRET_KEY and (VAR_DIR / "secret_key").is_file():
    # `make run` writes a random key here on a development machine.
    SECRET_KEY = (VAR_DIR / "secret_key").read_text().strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off"
        )
    SECRET_KEY = DEVELOPMENT_SECRET_KEY  # DEBUG only

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Production transport security ----------------------------------------------
# DEBUG=0 alone does NOT switch these on: `make run` and the tests also run with
# DEBUG off, over plain http://127.0.0.1, where a secure-only session cookie or
# an https redirect would make the admin login impossible. PRODUCTION=1 (behind
# TLS) turns them all on; each can still be set on its own. docs/deployment.md
# lists the production variables; `check --deploy` is clean with them.
PRODUCTION = env.bool("PRODUCTION", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=PRODUCTION)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
# /health is probed by load balancers over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health$"]
if env.bool("BEHIND_PROXY", default=False):
    # Only behind a proxy that sets (and strips clients') X-Forwarded-Proto:
    # otherwise any client could claim https.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "health_check",
    "opsportal",
    "common",
    "accounts",
    "backups",
    "monitoring",
    "incidents",
    "alerting",
    "deployments",
    "codescans",
    "checklist",
]

MIDDLEWARE = [
    # First, so a route's time includes every other middleware (issue 9).
    "monitoring.perf_middleware.RequestTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "common.middleware.StaticAndDocsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "opsportal.urls"
WSGI_APPLICATION = "opsportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "opsportal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    # URLs carry passwords: DATABASE_URL_FILE, CACHE_URL_FILE, CELERY_BROKER_URL_FILE work too.
    "default": env.db_url_config(
        _secret("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'opsportal.sqlite3'}"))
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat share one file: WAL lets readers run beside the one
    # writer, IMMEDIATE takes the write lock up front so two writers queue
    # (busy timeout) instead of failing with "database is locked" mid-transaction.
    _db.setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # pytest-django would otherwise use an in-memory database that the worker
    # and gunicorn processes started by the tests cannot see.
    # TEST_DATABASE_FILE moves it (check_docs runs the API examples on its own file, so
    # it never meets a test run in the same checkout).
    _db.setdefault("TEST", {})["NAME"] = env.str(
        "TEST_DATABASE_FILE", default=str(VAR_DIR / "test-opsportal.sqlite3"))
else:
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
    # Faults (docs/runbook.md): opening a connection gives up after DB_CONNECT_TIMEOUT
    # (libpq's minimum is 2 s), and a round trip of a web request or Celery task on an
    # open connection after DB_QUERY_TIMEOUT, however the server or network hangs
    # (opsportal/postgresql).
    _db.setdefault("OPTIONS", {}).setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", 5))
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _db["ENGINE"] = "common.postgresql"
DB_QUERY_TIMEOUT = env.float("DB_QUERY_TIMEOUT", default=10.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------
CACHES = {"default": env.cache_url_config(_secret("CACHE_URL", default="locmemcache://opsportal"))}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A hung Redis must not hang a request: redis-py gives up connecting, and waiting
    # for an answer, after CACHE_TIMEOUT seconds (Django passes OPTIONS to its pool).
    _cache_timeout = env.float("CACHE_TIMEOUT", default=1.0)
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": _cache_timeout, "socket_timeout": _cache_timeout}
    )

# --- Auth, i18n, static -----------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# The MkDocs site (make docs) is served at /docs/ by StaticAndDocsMiddleware.
DOCS_SITE_DIR = env.path("DOCS_SITE_DIR", default=str(VAR_DIR / "site"))
# `manage.py check_docs`: the nav it expects built, its TTL as launch evidence, and how
# long the API examples may run.
DOCS_CONFIG_FILE = env.path("DOCS_CONFIG_FILE", default=str(BASE_DIR / "mkdocs.yml"))
DOCS_CHECK_MAX_AGE_DAYS = env.int("DOCS_CHECK_MAX_AGE_DAYS", default=7)
DOCS_CHECK_TIMEOUT_SECONDS = env.int("DOCS_CHECK_TIMEOUT_SECONDS", default=600)
WHITENOISE_INDEX_FILE = True

# --- The launch verdict: the evidence it trusts, and for how long ---------------
# In their own module (the bot's repository and CI, deployment evidence, waivers and
# sign-offs, the feature items), read from the same environment.
from opsportal.settings_launch import *  # noqa: E402, F403

# --- Portal -----------------------------------------------------------------
BACKUP_DIR = env.path("BACKUP_DIR", default=str(VAR_DIR / "backups"))
BACKUP_ENCRYPTION_KEYS = env.list("BACKUP_ENCRYPTION_KEY", default=[])
if env.str("BACKUP_ENCRYPTION_KEY_FILE", default=""):
    BACKUP_ENCRYPTION_KEYS = [k.strip() for k in _secret("BACKUP_ENCRYPTION_KEY").split(",")]
WALLET_KEYS_DIR = env.path("WALLET_KEYS_DIR", default=str(VAR_DIR / "wallet_keys"))
# Channel and RPC URLs are encrypted in the database with these Fernet keys (the first
# encrypts); unset, keys derived from SECRET_KEY are used (common/encryption.py).
FIELD_ENCRYPTION_KEYS = [k.strip() for k in (_secret("FIELD_ENCRYPTION_KEY") or "").split(",")
                         if k.strip()]
# Backups go through Django's storage API (alias "backups"): the default is a
# local directory; BACKUP_STORAGE_BACKEND=storages.backends.s3.S3Storage (with
# django-storages installed and its AWS_* settings) sends them to S3 instead.
_backup_backend = env.str("BACKUP_STORAGE_BACKEND",
                          default="django.core.files.storage.FileSystemStorage")
STORAGES["backups"] = {
    "BACKEND": _backup_backend,
    "OPTIONS": {"location": str(BACKUP_DIR)} if _backup_backend.endswith("FileSystemStorage")
    else {},
}
# The log files the weekly `logs` backup compresses, archives and rotates.
LOG_DIR = env.path("LOG_DIR", default=str(VAR_DIR / "log"))
# A run or drill still "running" after this long is taken for dead by the next one.
BACKUP_RUN_TIMEOUT_SECONDS = env.int("BACKUP_RUN_TIMEOUT_SECONDS", default=3 * 3600)
# A running backup or drill beats this often; once its beat is older than the timeout
# (several beats: one slow write is no death) the minute loop marks it failed.
BACKUP_HEARTBEAT_SECONDS = env.float("BACKUP_HEARTBEAT_SECONDS", default=30.0)
BACKUP_HEARTBEAT_TIMEOUT_SECONDS = env.float("BACKUP_HEARTBEAT_TIMEOUT_SECONDS", default=180.0)
# The plan's recovery time objective: a slower restore drill fails.
RESTORE_OBJECTIVE_SECONDS = env.int("RESTORE_OBJECTIVE_SECONDS", default=3600)
BOT_CONTROL_URL = env.str("BOT_CONTROL_URL", default="")
# An open position without TP or SL for longer than this is funds at risk (the guard).
TPSL_GRACE_SECONDS = env.int("TPSL_GRACE_SECONDS", default=30)
# An exit_all asked for by one person lapses unless another confirms it within this.
BOT_CONTROL_CONFIRM_SECONDS = env.int("BOT_CONTROL_CONFIRM_SECONDS", default=600)
# Every request to an outside service (RPC probe, bot control, webhooks) is bounded.
OUTBOUND_TIMEOUT_SECONDS = env.float("OUTBOUND_TIMEOUT_SECONDS", default=5.0)
# /health answers within this budget whatever its dependencies do.
HEALTH_BUDGET_SECONDS = env.float("HEALTH_BUDGET_SECONDS", default=0.8)

# --- Celery -----------------------------------------------------------------
BROKER_DIR = env.path("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker"))
CELERY_BROKER_URL = _secret("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded default: messages are files under var/broker, which every
    # process on this machine (web, worker, beat) sees; nothing to install.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": f"{BROKER_DIR}/queue",
        "data_folder_out": f"{BROKER_DIR}/queue",
        "processed_folder": f"{BROKER_DIR}/processed",
        "control_folder": f"{BROKER_DIR}/control",
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# One scheduler at a time (issue 20.5, common/beat.py): beat dispatches only while it
# holds a lease in the database; a second beat is a standby that takes over once the
# lease has gone unrenewed for BEAT_LEASE_SECONDS.
CELERY_BEAT_SCHEDULER = "common.beat:SingleBeatScheduler"
BEAT_LEASE_SECONDS = env.float("BEAT_LEASE_SECONDS", default=60.0)
CELERY_TIMEZONE = TIME_ZONE
# A task blocked on a hung database or service gets SoftTimeLimitExceeded, and its
# worker process is replaced at the hard limit: no task holds a worker for ever.
# Backup tasks carry their own, longer limits (BACKUP_RUN_TIMEOUT_SECONDS).
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)

# --- REST framework and OpenAPI ---------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "accounts.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.ScopePermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON bodies only: a form body turns every value into a string, so a number sent
    # for a name, or null for a required field, would pass as text (issue 15.10).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "EXCEPTION_HANDLER": "common.errors.api_exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "common.negotiation.StrictContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "common.pagination.StrictLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "opsportal API",
    "DESCRIPTION": "Operations portal for the V1 launch: monitoring, alerting, incidents, "
    "backups and launch readiness. Authenticate with `Authorization: Bearer <token>`.",
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI assets from the sidecar package: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # The error answers (400/401/403/404/415) of every operation, in one place.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "common.openapi.document_errors"],
    # Several models have a `status`; name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.models.IncidentStatus",
        "PostmortemStatusEnum": "incidents.models.PostmortemStatus",
        "ActionItemStatusEnum": "incidents.models.ActionItemStatus",
        "IncidentSeverityEnum": "incidents.models.Severity",
        "AlertSeverityEnum": "alerting.models.Severity",
        "AlertStateEnum": "alerting.models.AlertState",
        "AlertOperatorEnum": "alerting.models.Operator",
        "BackupKindEnum": "backups.models.BackupKind",
        "DataStoreKindEnum": "backups.models.DataStoreKind",
        "TimelineKindEnum": "incidents.models.TimelineKind",
    },
}

# --- Logging ----------------------------------------------------------------
# JSON lines in production (one object per record, for the log shipper);
# plain text on a developer's terminal. LOG_FORMAT=json|plain overrides.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"health_check": {"level": "ERROR"}},
}

# --- Alerting (alerting.services.alerts / rpc / notify) ---------------------
# Absolute base of links in notifications (runbook sections, the alert in admin).
PORTAL_URL = env.str("PORTAL_URL", default="http://127.0.0.1:8000").rstrip("/")
# A recovered higher-priority RPC endpoint is switched back to only after it has
# been healthy this long (no flapping between endpoints).
RPC_FAILBACK_AFTER_SECONDS = env.int("RPC_FAILBACK_AFTER_SECONDS", default=300)
# Failed probes in a row of the active endpoint before it counts as down.
RPC_DOWN_AFTER_FAILURES = env.int("RPC_DOWN_AFTER_FAILURES", default=2)
# --- Dependency probes, TLS certificates and API keys (issue 18) ------------
# Base URLs of what the bot depends on; bootstrap registers a dependency for each one
# set (empty: none; tests point them at servers on 127.0.0.1). Real values in
# docs/monitoring.md#dependencies.
BAGS_API_URL = env.str("BAGS_API_URL", default="").rstrip("/")
JUPITER_API_URL = env.str("JUPITER_API_URL", default="").rstrip("/")
TELEGRAM_API_URL = env.str("TELEGRAM_API_URL", default="").rstrip("/")
SOLANA_RPC_URL = env.str("SOLANA_RPC_URL", default="")
BOT_HEALTH_URL = env.str("BOT_HEALTH_URL", default="")
# What each base URL's probe GETs (a cheap unauthenticated health path).
BAGS_HEALTH_PATH = env.str("BAGS_HEALTH_PATH", default="/ping")
JUPITER_HEALTH_PATH = env.str("JUPITER_HEALTH_PATH", default="/")
TELEGRAM_HEALTH_PATH = env.str("TELEGRAM_HEALTH_PATH", default="/")
# The cheapest authenticated GET of each provider, tried with the key in `x-api-key`
# (Telegram's key is the bot token: {TELEGRAM_API_URL}/bot<token>/getMe).
BAGS_KEY_CHECK_PATH = env.str(
    "BAGS_KEY_CHECK_PATH",
    default="/api/v1/token-launch/lifetime-fees?tokenMint=So11111111111111111111111111111111111111112")
JUPITER_KEY_CHECK_PATH = env.str(
    "JUPITER_KEY_CHECK_PATH", default="/price/v3?ids=So11111111111111111111111111111111111111112")
# CA bundle the probes verify certificates with (empty: the system's).
PROBE_CA_BUNDLE = env.str("PROBE_CA_BUNDLE", default="")
# Every probe of a pass runs in parallel; the pass waits this long at most in all.
PROBE_DEADLINE_SECONDS = env.float("PROBE_DEADLINE_SECONDS", default=10.0)
DEPENDENCY_DOWN_AFTER_FAILURES = env.int("DEPENDENCY_DOWN_AFTER_FAILURES", default=2)
DEPENDENCY_PROBE_RETENTION_DAYS = env.int("DEPENDENCY_PROBE_RETENTION_DAYS", default=7)
# A certificate valid for fewer days than this fires an alert and fails "SSL certificates valid".
CERT_EXPIRY_ALERT_DAYS = env.int("CERT_EXPIRY_ALERT_DAYS", default=14)
API_KEY_CHECK_EVERY_MINUTES = env.int("API_KEY_CHECK_EVERY_MINUTES", default=60)
# An undelivered notification is retried by later evaluations up to this many times.
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=10)
# Monitoring (issue 3): raw events, rollups, snapshots and pings are pruned after this.
EVENT_RETENTION_DAYS = env.int("EVENT_RETENTION_DAYS", default=30)
# The first bytes of a POSTed ping's body kept on the ping (healthchecks.io keeps 10 kB).
HEARTBEAT_PING_BODY_MAX = env.int("HEARTBEAT_PING_BODY_MAX", default=10_000)
# The bot's uptime (issue 17.5, monitoring/services/bot_uptime.py): a minute is up when
# the bot sent a signal in it (an event, or a ping of one of these heartbeats, by name)
# or in the grace seconds before it; no signal is down. A minute is first judged this
# many seconds after it ends (batched events arrive late) and judged again while it is
# younger than the recheck window.
BOT_HEARTBEATS = env.list("BOT_HEARTBEATS", default=["bot"])
BOT_SIGNAL_GRACE_SECONDS = env.int("BOT_SIGNAL_GRACE_SECONDS", default=30)
BOT_UPTIME_SETTLE_SECONDS = env.int("BOT_UPTIME_SETTLE_SECONDS", default=60)
BOT_UPTIME_RECHECK_MINUTES = env.int("BOT_UPTIME_RECHECK_MINUTES", default=15)
# /health serves the state refreshed in the background; older than this it runs the checks live.
HEALTH_STALE_SECONDS = env.int("HEALTH_STALE_SECONDS", default=60)
# Each web process probes database, cache and broker itself this often at most; a probe
# twice this old is never served (issue 15, monitoring/services/health.py).
HEALTH_PROBE_SECONDS = env.float("HEALTH_PROBE_SECONDS", default=5.0)
# Per client address and web process, in memory: over it, /health answers are delayed
# (at most 0.5 s), then refused with 429 (monitoring/api/health.py). Empty or 0: off.
HEALTH_RATE_LIMIT = env.str("HEALTH_RATE_LIMIT", default="10/s")

# Performance baselines (issue 9): the deploy a baseline belongs to, query
# timing sample rate, how often in-process measurements reach the database,
# and the regression check's window and cadence.
DEPLOY_ID = env.str("DEPLOY_ID", default="")
DB_QUERY_SAMPLE_RATE = env.float("DB_QUERY_SAMPLE_RATE", default=0.1)
PERF_FLUSH_SECONDS = env.int("PERF_FLUSH_SECONDS", default=10)
PERF_WINDOW_MINUTES = env.int("PERF_WINDOW_MINUTES", default=15)
PERF_CHECK_EVERY_MINUTES = env.int("PERF_CHECK_EVERY_MINUTES", default=5)
PERF_REGRESSION_THRESHOLD_PCT = env.float("PERF_REGRESSION_THRESHOLD_PCT", default=20.0)
PERF_MIN_SAMPLES = env.int("PERF_MIN_SAMPLES", default=30)
PERF_MINUTE_RETENTION_DAYS = env.int("PERF_MINUTE_RETENTION_DAYS", default=8)
PERF_HOUR_RETENTION_DAYS = env.int("PERF_HOUR_RETENTION_DAYS", default=90)

# --- Secrets kept out of logs (issue 11) ----------------------------------------
# Every handler, whatever its formatter, passes records through the redaction filter.
LOGGING.setdefault("filters", {})["redact_secrets"] = {
    "()": "common.redaction.RedactSecretsFilter"}
for _handler in LOGGING["handlers"].values():
    _handler.setdefault("filters", []).append("redact_secrets")

# --- Admin login lockout (issue 11, django-axes) -----------------------------
# Failed logins are counted per user name and, separately, per client address.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as axes requires
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# Spelled out: axes' lazy default breaks the JSON config backup.
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Its start-up banner would land on every command's stderr; lockouts still log.
LOGGING["loggers"]["axes.apps"] = {"level": "WARNING"}
# Behind a reverse proxy set AXES_IPWARE_PROXY_COUNT=1 so X-Forwarded-For is used.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0) or None

# --- Rate limits (issue 11, common/ratelimit.py) ---------------------------
# "N/s|m|h|d"; empty or 0 turns a limit off. Counted in the default cache: use a
# shared Redis (CACHE_URL) when several web processes run, or each counts alone.
INGEST_RATE_LIMIT = env.str("INGEST_RATE_LIMIT", default="600/m")   # per API token
PING_RATE_LIMIT = env.str("PING_RATE_LIMIT", default="120/m")       # per client address
LOGIN_RATE_LIMIT = env.str("LOGIN_RATE_LIMIT", default="20/m")      # per client address
MIDDLEWARE.insert(MIDDLEWARE.index("common.middleware.StaticAndDocsMiddleware") + 1,
                  "common.ratelimit.RateLimitMiddleware")

# --- Audit log (issue 11, django-auditlog; models listed in common/audit.py) ---
INSTALLED_APPS += ["auditlog"]
# After authentication, so the signed-in user is the actor of each change.
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "auditlog.middleware.AuditlogMiddleware")
AUDITLOG_STORE_JSON_CHANGES = True

# --- Admin two-factor authentication and sessions (issue 11, django-otp) ------
INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp", "django_otp.plugins.otp_static"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "django_otp.middleware.OTPMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1,
                  "accounts.twofactor.AdminTwoFactorMiddleware")
# Required whenever DEBUG is off, `make run` included: the portal holds wallet-key backups
# and can fail the bot over, so a password alone never reaches the admin. TOTP works over
# plain http too. ADMIN_2FA_REQUIRED=1 turns it on in development (DEBUG on) as well.
ADMIN_2FA_REQUIRED = env.bool("ADMIN_2FA_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = "opsportal"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# ASVS 3.3: an admin session ends with the browser and, at the latest, after 12 hours
# (Django's default is a persistent two-week cookie).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE_SECONDS", default=12 * 3600)
# Old keys still accepted for signatures while SECRET_KEY rotates (docs/security.md).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
