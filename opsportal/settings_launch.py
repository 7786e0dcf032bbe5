"""The launch verdict's settings: the evidence the checklist trusts and for how long.

Imported by opsportal/settings.py (the one settings module); kept apart only because
the verdict has many knobs. Read from the same environment (and .env file)."""

import environ

env = environ.Env()

# --- The bot's repository (issue 17, codescans) -----------------------------
# A checkout of the bot's code on this host; empty = not configured (scans refuse).
BOT_REPO_DIR = env.str("BOT_REPO_DIR", default="")
# The pinned ruff rules: run with --isolated, so the bot's own ruff config changes nothing.
BOT_REPO_RUFF_SELECT = env.str("BOT_REPO_RUFF_SELECT", default="E,F,W,B")
BOT_REPO_SECURITY_SELECT = env.str("BOT_REPO_SECURITY_SELECT", default="S")
BOT_REPO_MAX_FILE_BYTES = env.int("BOT_REPO_MAX_FILE_BYTES", default=2 * 2**20)
BOT_REPO_SCAN_TIMEOUT_SECONDS = env.int("BOT_REPO_SCAN_TIMEOUT_SECONDS", default=900)
# The checklist's code-quality items trust a scan this long (it runs daily), and CI
# evidence (coverage, tests, review) this long; either goes stale sooner when the
# bot's HEAD moves past the commit it was made at.
BOT_REPO_SCAN_MAX_AGE_HOURS = env.int("BOT_REPO_SCAN_MAX_AGE_HOURS", default=48)
CI_EVIDENCE_MAX_AGE_DAYS = env.int("CI_EVIDENCE_MAX_AGE_DAYS", default=7)
# Deployment evidence (docs/deployment.md) counts for this long after its run; only
# runs the portal recorded itself count (make staging, manage.py preflight).
STAGING_EVIDENCE_MAX_AGE_DAYS = env.int("STAGING_EVIDENCE_MAX_AGE_DAYS", default=7)
LOAD_TEST_EVIDENCE_MAX_AGE_DAYS = env.int("LOAD_TEST_EVIDENCE_MAX_AGE_DAYS", default=7)
ROLLBACK_EVIDENCE_MAX_AGE_DAYS = env.int("ROLLBACK_EVIDENCE_MAX_AGE_DAYS", default=14)
PREFLIGHT_EVIDENCE_MAX_AGE_DAYS = env.int("PREFLIGHT_EVIDENCE_MAX_AGE_DAYS", default=7)
# "All monitoring operational": a channel accepted a message (an alert or a test) this recently.
MONITORING_CHANNEL_REACHED_MAX_AGE_DAYS = env.int("MONITORING_CHANNEL_REACHED_MAX_AGE_DAYS",
                                                  default=7)
# "Load test passed": at least this many requests, an error rate and a p95 within these.
# 1 % is the plan's error target; the p95 is the portal's own HTTP latency under the
# rehearsal's load (the plan's 500 ms is the bot's trade confirmation, not this).
LOAD_TEST_MIN_REQUESTS = env.int("LOAD_TEST_MIN_REQUESTS", default=300)
LOAD_TEST_MAX_ERROR_RATE = env.float("LOAD_TEST_MAX_ERROR_RATE", default=0.01)
LOAD_TEST_MAX_P95_MS = env.float("LOAD_TEST_MAX_P95_MS", default=1500.0)
# "Security scan clean": no finding of this severity or higher (high, medium or low).
BOT_REPO_SECURITY_FAIL_SEVERITY = env.str("BOT_REPO_SECURITY_FAIL_SEVERITY", default="medium")
# The largest report the bot's CI may upload (POST /api/v1/evidence/...), in bytes. The
# body is streamed to a spooled file, never whole in memory, so Django's
# DATA_UPLOAD_MAX_MEMORY_SIZE (which only guards request.body) does not apply to it.
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=50 * 2**20)

# Automated checklist verifications (one row per item every 5 minutes); each item's
# latest result is always kept, its history of changes lives in ChecklistItemEvent.
CHECKLIST_VERIFICATION_RETENTION_DAYS = env.int("CHECKLIST_VERIFICATION_RETENTION_DAYS",
                                                default=14)
# Waivers and GO sign-offs (issue 19, checklist/services/waivers.py and decisions.py): a
# waiver's reason needs this many characters and distinct words, it expires within
# WAIVER_MAX_DAYS, and a different Admin approves it. A GO counts once one person per
# role named here (Django group names; "Admin" also matches superusers) signed it off.
WAIVER_MIN_REASON_CHARS = env.int("WAIVER_MIN_REASON_CHARS", default=30)
WAIVER_MIN_REASON_WORDS = env.int("WAIVER_MIN_REASON_WORDS", default=5)
WAIVER_MAX_DAYS = env.int("WAIVER_MAX_DAYS", default=30)
GO_SIGNOFF_ROLES = env.list("GO_SIGNOFF_ROLES", default=["Admin", "Incident Commander"])
# The feature items (checklist/verifiers/features.py) judge nothing below these
# samples over their window: fewer is "no evidence", never a pass.
FEATURE_MIN_TRADES = env.int("FEATURE_MIN_TRADES", default=20)
FEATURE_MIN_COMMANDS = env.int("FEATURE_MIN_COMMANDS", default=10)
