"""Gunicorn settings for production (`gunicorn -c gunicorn.conf.py opsportal.wsgi`).

Every value can be overridden from the environment, so the same file serves
the systemd unit, the container and `make staging`.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# The usual 2 x cores + 1 workers: requests are short and mostly wait on
# PostgreSQL; WEB_CONCURRENCY caps it on a small or shared machine.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# Threads, not one request per process: a request waiting on a dependency, or a /health
# client being paced (monitoring/api/health.py), holds a thread, never a whole worker,
# so slow probes or a /health flood cannot occupy every worker (issue 15). Each thread
# that serves a database request keeps its own connection: PostgreSQL must allow
# WEB_CONCURRENCY x GUNICORN_THREADS of them, plus Celery's (docs/deployment.md).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
# Exported to the workers, which size /health's waiting room from it.
threads = int(os.environ.setdefault("GUNICORN_THREADS", "8"))
# /health answers within 1 s and ingestion batches are at most 1 MiB: a request
# still running after 30 s is stuck, and its worker is recycled.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 20))
keepalive = 5
# Recycle workers now and then so a slow leak never takes the site down. Every /health
# probe counts (a request of microseconds): at 2000 a busy monitor restarted each worker,
# a second or more of Django start-up, every few minutes.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20000))
max_requests_jitter = 2000
# Behind the reverse proxy only (BEHIND_PROXY=1): trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Both logs through the portal's redaction filter: a `?token=` in the query is masked.
logger_class = "common.gunicorn_logging.RedactingLogger"
# One JSON object per request, like the application's own logs (LOG_FORMAT=json).
access_log_format = (
    '{"time": "%(t)s", "logger": "gunicorn.access", "remote": "%(h)s", '
    '"method": "%(m)s", "path": "%(U)s", "query": "%(q)s", "status": %(s)s, '
    '"bytes": "%(B)s", "duration_ms": %(M)s, "user_agent": "%(a)s", "pid": "%(p)s"}'
)
