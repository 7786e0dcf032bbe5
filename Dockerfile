# syntax=docker/dockerfile:1
# opsportal image: web (gunicorn), worker and beat all run from it (compose.yaml).
# Not built on the development machines (no Docker engine there); linted by
# hadolint in .ci/run. docs/deployment.md has the details.

# --- build: dependencies into a virtualenv, and the MkDocs site -------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY . .
RUN pip install . \
    && mkdocs build --strict -q -d /opt/site

# --- runtime: the virtualenv, the code, no compilers -----------------------------
FROM python:3.11-slim-bookworm AS runtime
# pg_dump/pg_restore for the database backups and restore drills; git for the commit
# a scan of the bot's repository saw (codescans).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client git \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home --home-dir /home/opsportal opsportal \
    && mkdir -p /var/lib/opsportal /var/log/opsportal \
    && chown opsportal:opsportal /var/lib/opsportal /var/log/opsportal
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    DEBUG=0 LOG_FORMAT=json \
    DOCS_SITE_DIR=/opt/site STATIC_ROOT=/opt/static \
    BACKUP_DIR=/var/lib/opsportal/backups WALLET_KEYS_DIR=/var/lib/opsportal/wallet_keys \
    LOG_DIR=/var/log/opsportal GUNICORN_BIND=0.0.0.0:8000
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/site /opt/site
WORKDIR /app
COPY --from=build /src/manage.py /src/gunicorn.conf.py /src/mkdocs.yml ./
COPY --from=build /src/opsportal ./opsportal
COPY --from=build /src/common ./common
COPY --from=build /src/accounts ./accounts
COPY --from=build /src/monitoring ./monitoring
COPY --from=build /src/alerting ./alerting
COPY --from=build /src/incidents ./incidents
COPY --from=build /src/backups ./backups
COPY --from=build /src/checklist ./checklist
COPY --from=build /src/deployments ./deployments
COPY --from=build /src/codescans ./codescans
# Static files are part of the image; the key only satisfies settings at build time.
RUN SECRET_KEY=collectstatic-only-not-used-at-runtime-0123456789abcdef \
    python manage.py collectstatic --noinput -v0
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD ["python", "-c", "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "opsportal.wsgi"]
