import json
import logging
import subprocess

from tests.deployments.helpers import PYTHON, ROOT, clean_env, production_example_env


def _check_deploy(env):
    return subprocess.run([PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_the_documented_production_variables():
    result = _check_deploy(clean_env(**production_example_env()))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_flags_a_laptop_configuration_with_debug_off():
    env = clean_env(DEBUG="0", DATABASE_URL="sqlite:///var/x.sqlite3",
                    SECRET_KEY="test-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz")
    result = _check_deploy(env)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    for check_id in ["opsportal.W001", "opsportal.W002", "opsportal.W003", "opsportal.W004",
                     "opsportal.W005", "opsportal.W006", "security.W008", "security.W012"]:
        assert check_id in out, check_id


def test_production_logs_are_one_json_object_per_line():
    env = clean_env(**production_example_env())
    code = ("import logging, django; django.setup(); "
            "logging.getLogger('opsportal.test').warning('deployed %s', 'v1')")
    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env={**env, "DJANGO_SETTINGS_MODULE": "opsportal.settings"},
                            timeout=60)
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["message"] == "deployed v1"
    assert record["level"] == "WARNING" and record["logger"] == "opsportal.test"
    assert "time" in record


def test_secure_cookies_and_redirects_stay_off_without_the_production_switch(settings):
    # `make run` and the tests serve plain http://127.0.0.1 with DEBUG off.
    assert not settings.DEBUG
    assert not settings.SESSION_COOKIE_SECURE and not settings.SECURE_SSL_REDIRECT
    assert settings.SECURE_HSTS_SECONDS == 0
    assert logging.getLogger().handlers


def test_secrets_and_urls_can_come_from_files(tmp_path):
    values = production_example_env()
    for name in ["SECRET_KEY", "BACKUP_ENCRYPTION_KEY", "DATABASE_URL", "CELERY_BROKER_URL"]:
        path = tmp_path / name.lower()
        path.write_text(values.pop(name) + "\n")
        values[f"{name}_FILE"] = str(path)
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.DATABASES['default']['HOST'], s.CELERY_BROKER_URL, len(s.SECRET_KEY), "
            "len(s.BACKUP_ENCRYPTION_KEYS))")
    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env={**clean_env(**values),
                                 "DJANGO_SETTINGS_MODULE": "opsportal.settings"}, timeout=60)
    assert result.stdout.split() == ["db.internal", "redis://redis.internal:6379/0", "67", "1"], \
        result.stderr
    assert _check_deploy(clean_env(**values)).returncode == 0


def _admin_2fa_required(**values) -> str:
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.ADMIN_2FA_REQUIRED)")
    env = clean_env(SECRET_KEY="test-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz",
                    DATABASE_URL="sqlite:///var/x.sqlite3", **values)
    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env={**env, "DJANGO_SETTINGS_MODULE": "opsportal.settings"},
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_admin_two_factor_is_required_whenever_debug_is_off_and_can_be_forced_on():
    assert _admin_2fa_required(DEBUG="0") == "True"           # `make run`, production
    assert _admin_2fa_required(DEBUG="1") == "False"          # development
    assert _admin_2fa_required(DEBUG="1", ADMIN_2FA_REQUIRED="1") == "True"
