import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")
application = get_wsgi_application()

# Web workers only: a request's database round trip gives up after DB_QUERY_TIMEOUT
# (opsportal/postgresql/base.py), so a hung database answers 503, not a stuck worker.
from django.conf import settings  # noqa: E402 (configured by get_wsgi_application)

from opsportal.postgresql.base import query_timeout_set  # noqa: E402

query_timeout_set(settings.DB_QUERY_TIMEOUT)
