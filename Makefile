# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
ADMIN_USERNAME ?= admin
PORT   ?= 8000
export OPSPORTAL_PORT := $(PORT)
export NO_MKDOCS_2_WARNING := 1

.PHONY: install run test lint docs bench clean audit staging

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

var/secret_key:
	@mkdir -p var
	@$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	@chmod 600 $@

docs: install
	$(BIN)/mkdocs build --strict -q -d var/site

run: install var/secret_key docs
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py bootstrap --admin-username "$(ADMIN_USERNAME)" \
		$(if $(ADMIN_PASSWORD),--admin-password "$(ADMIN_PASSWORD)")
	$(PY) manage.py collectstatic --noinput -v0
	@echo
	@echo "  opsportal is starting on http://127.0.0.1:$(PORT)/"
	@echo "  Admin:  http://127.0.0.1:$(PORT)/admin/  (user '$(ADMIN_USERNAME)', password above)"
	@echo "          the first sign-in enrols an authenticator app (two-factor, TOTP)"
	@echo "  Health: http://127.0.0.1:$(PORT)/health   Docs: http://127.0.0.1:$(PORT)/docs/"
	@echo "  Ctrl-C stops the web server, the worker and the scheduler."
	@echo
	$(BIN)/honcho start -f Procfile

lint: install
	$(BIN)/ruff check .

test: install var/secret_key
	$(BIN)/ruff check .
	# The architecture (docs/developer-guide.md): the import direction, and types in
	# every app's services and selectors.
	$(BIN)/lint-imports
	$(BIN)/mypy
	# The site first: the portal serves it at /docs/ and the smoke test checks that.
	$(BIN)/mkdocs build --strict -q -d var/site
	$(PY) -m pytest $(PYTEST_ARGS)
	$(PY) manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory audit

# Security scans (ruff's bandit rules, pip-audit), recorded as SecurityScan rows in
# the portal's database. Fails on findings; a pip-audit that cannot reach its
# vulnerability service is reported as "could not run", not as a failure.
audit: install var/secret_key
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py security_scan

# A production-shaped rehearsal on this machine (docs/deployment.md): gunicorn,
# worker and beat on a throwaway PostgreSQL database and Redis; preflight, smoke
# tests, a bounded load test, a rollback. Needs PostgreSQL and redis-server.
staging: install var/secret_key docs
	$(PY) deploy/staging.py $(STAGING_ARGS)

bench: install var/secret_key
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var site
