import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")
django_application = get_wsgi_application()

# Web workers only (docs/runbook.md, "Faults and timeouts"):
# - a request's database round trips give up after DB_QUERY_TIMEOUT, each and all of
#   them together (common/postgresql/base.py), so a hung database answers 503
#   within that bound, not a stuck worker;
# - performance samples are flushed in a thread of their own, never in a request;
# - GET /health is answered from memory, paced per client, before Django.
from django.conf import settings  # noqa: E402 (configured by get_wsgi_application)

from common.postgresql.base import database_budget, query_timeout_set  # noqa: E402
from monitoring.api.health import health_wsgi  # noqa: E402
from monitoring.perf_middleware import perf_flush_background_set  # noqa: E402

query_timeout_set(settings.DB_QUERY_TIMEOUT)
perf_flush_background_set(True)


def _bounded(environ, start_response):
    # The budget covers the view and every middleware; a streamed body read after
    # this returns keeps the per-round-trip bound only.
    with database_budget(settings.DB_QUERY_TIMEOUT):
        return django_application(environ, start_response)


application = health_wsgi(_bounded)
