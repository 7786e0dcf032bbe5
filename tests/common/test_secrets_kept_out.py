"""Secrets never leave the process: errors are forced and every output is grepped."""

import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from backups.models import BackupKind, BackupStatus
from backups.services.runs import backup_run_now
from common.redaction import RedactSecretsFilter, redact

DSN_PASSWORD = "Pg-Secret-Pw-4242"
DSN = f"postgres://opsuser:{DSN_PASSWORD}@127.0.0.1:1/ops"
REDIS_PASSWORD = "Redis-Secret-Pw-777"


def _console_handlers() -> list[logging.Handler]:
    # The handlers LOGGING configured (pytest's own capture handlers are subclasses).
    return [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]


@pytest.fixture
def log_output():
    """Everything the configured log handlers write, while the test runs."""
    buffer = io.StringIO()
    handlers = _console_handlers()
    assert handlers, "LOGGING installs no console handler"
    old = [h.setStream(buffer) for h in handlers]
    yield buffer
    for handler, stream in zip(handlers, old, strict=True):
        handler.setStream(stream)


@pytest.fixture
def backup_env(tmp_path, backup_dir):
    return tmp_path


@pytest.fixture
def secrets(settings, backup_env, make_token):
    fernet = Fernet.generate_key().decode()
    settings.BACKUP_ENCRYPTION_KEYS = [fernet]
    settings.CELERY_BROKER_URL = f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0"
    token = make_token("read,write", name="leaky")
    values = {"token": token, "dsn password": DSN_PASSWORD, "fernet key": fernet,
              "SECRET_KEY": settings.SECRET_KEY, "redis password": REDIS_PASSWORD}
    settings.TEST_BOOM_SECRET = (
        f"cannot connect to {DSN} with Bearer {token}, key {fernet}, "
        f"SECRET_KEY={settings.SECRET_KEY} broker {settings.CELERY_BROKER_URL}")
    return values


def _assert_clean(where: str, text: str, secrets: dict) -> None:
    leaked = [name for name, value in secrets.items() if value in text]
    assert not leaked, f"{where} contains {leaked}"


def test_every_logging_handler_carries_the_redaction_filter():
    assert all("redact_secrets" in h.get("filters", [])
               for h in django_settings.LOGGING["handlers"].values())
    for handler in _console_handlers():
        assert any(isinstance(f, RedactSecretsFilter) for f in handler.filters)


def test_redact_masks_tokens_dsn_passwords_keys_and_assignments():
    key = Fernet.generate_key().decode()
    text = redact(f"ops_0123abcd_{'x' * 43} postgres://u:pw1234@h/db {key} "
                  "password=hunter22 BACKUP_ENCRYPTION_KEY=abc")
    assert text == ("ops_0123abcd_******** postgres://u:********@h/db ******** "
                    "password=******** BACKUP_ENCRYPTION_KEY=********")


def test_redact_masks_secret_query_parameters_and_keeps_the_others():
    text = redact('GET /m?token=abc&limit=5&api-key=k1;access_token=t2 "sig=s3" '
                  "next=/x?session_id=z9&page=2 <WSGIRequest: GET '/a?client_secret=c4'>")
    assert text == ('GET /m?token=********&limit=5&api-key=********;access_token=******** '
                    '"sig=********" next=/x?session_id=********&page=2 '
                    "<WSGIRequest: GET '/a?client_secret=********'>")


def test_the_filter_redacts_extra_fields_that_json_formatters_write():
    class Request:
        def __repr__(self):
            return "<WSGIRequest: GET '/metrics?token=hunter22hunter22'>"

    record = logging.makeLogRecord({"msg": "Unauthorized: %s", "args": ("/metrics",),
                                    "request": Request(), "status_code": 401,
                                    "context": {"url": "https://x/?api_key=k3y1"}})
    assert RedactSecretsFilter().filter(record)
    assert record.getMessage() == "Unauthorized: /metrics"
    assert record.request == "<WSGIRequest: GET '/metrics?token=********'>"
    assert record.status_code == 401
    assert record.context == {"url": "https://x/?api_key=********"}


@pytest.mark.django_db
@pytest.mark.urls("tests.common.secret_urls")
def test_forced_errors_leak_no_secret_to_logs_responses_pages_or_the_config_backup(
        secrets, log_output, backup_env):
    outputs = {}
    # A bad token (a real one with a typo) is refused with JSON and logged without it.
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION=f"Bearer {secrets['token']}x")
    response = bad.get("/api/v1/incidents")
    assert response.status_code == 401
    outputs["401 response"] = response.content.decode()
    logging.getLogger("accounts").warning("refused token %s", f"{secrets['token']}x")

    # An unexpected exception in an API view: logged with its traceback, generic JSON.
    response = APIClient().get("/api/v1/test-boom")
    assert response.status_code == 500
    outputs["API 500 response"] = response.content.decode()

    # An unexpected exception in a page: Django logs it, the 500 page says nothing.
    response = Client(raise_request_exception=False).get("/test-boom/")
    assert response.status_code == 500
    outputs["500 page"] = response.content.decode()

    # A failed restore into a database whose DSN carries a password.
    run = backup_run_now(kind=BackupKind.CONFIG)
    assert run.status == BackupStatus.SUCCEEDED, run.error
    stderr = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("restore", str(run.pk), "--into", DSN, stderr=stderr)
    outputs["restore error"] = f"{failed.value} {stderr.getvalue()}"
    logging.getLogger("backups").error("restore failed for %s", DSN, exc_info=failed.value)

    # The config backup itself.
    storage_dir = backup_env / "backups"
    outputs["config backup"] = (storage_dir / run.storage_name).read_text()
    run.refresh_from_db()
    outputs["backup run record"] = f"{run.error} {run.manifest}"

    outputs["logs"] = log_output.getvalue()
    assert "unhandled API error" in outputs["logs"]
    assert "Internal Server Error: /test-boom/" in outputs["logs"]
    assert "Traceback" in outputs["logs"] and "RuntimeError" in outputs["logs"]
    assert "postgres://opsuser:********@" in outputs["logs"]
    for where, text in outputs.items():
        _assert_clean(where, text, secrets)


@pytest.mark.django_db
def test_the_config_backup_keeps_no_credential_of_bot_control_url(settings, backup_env):
    settings.BOT_CONTROL_URL = ("https://bot:Ctl-Pass-55@bot.internal:8443/control/"
                                "9f8e7d6c5b4a39281706f5e4?key=Ctl-Key-4321")
    run = backup_run_now(kind=BackupKind.CONFIG)
    assert run.status == BackupStatus.SUCCEEDED, run.error
    text = (backup_env / "backups" / run.storage_name).read_text()
    for secret in ("Ctl-Pass-55", "9f8e7d6c5b4a39281706f5e4", "Ctl-Key-4321"):
        assert secret not in text
    assert "https://bot:********@bot.internal:8443/control/********?key=********" in text
