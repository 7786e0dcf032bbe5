"""Secrets kept out of the logs: a filter installed on every LOGGING handler.

It rewrites each record's final message (and its formatted traceback) before any
handler formats it, so a token, a DSN password or a key that slips into an
exception message or a log argument is never written anywhere.
"""

import logging
import re

from django.conf import settings

MASK = "********"

# Bearer tokens: ops_<public prefix>_<secret>. The prefix identifies the token in
# the admin and is kept; the secret part is masked.
TOKEN = re.compile(r"\b(ops_[0-9a-f]{8}_)[A-Za-z0-9_\-]{8,}")
# Passwords in URLs: postgres://user:pw@host, redis://:pw@host, amqp://u:pw@h ...
URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)[^@/\s]+(?=@)")
# libpq keyword DSNs and NAME=value assignments of the secrets we know by name.
ASSIGNMENT = re.compile(
    r"(?i)\b(?P<head>(?:password|passwd|pwd|secret_key|backup_encryption_key|api_key|token)"
    r"\s*[=:]\s*['\"]?)[^\s'\",;&]+"
)
# Fernet keys: 32 bytes, url-safe base64 = 43 characters and one '='.
FERNET_KEY = re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{43}=")
# name=value pairs of a query string (after ?, &, ; or at the start of a field, as in
# gunicorn's %(q)s), whose name says it is a credential: ?token=, &api-key=, access_token=.
# Clients put tokens there by mistake (the API only reads the Authorization header),
# and the request line is logged by gunicorn and in Django's request records.
QUERY_PAIR = re.compile(r"(?:^|(?<=[?&;\s\"'(,]))(?P<name>[\w.\[\]\-]+)=(?P<value>[^&;?\s#\"'<>]+)")
SECRET_NAME = re.compile(
    r"(?i)token|secret|passw|pwd|key|signature|credential|auth|session|^sig$|^code$")


def _known_secrets() -> list[str]:
    """Literal values of the secrets this process holds (settings may change in tests)."""
    values = [getattr(settings, "SECRET_KEY", "") or ""]
    values += list(getattr(settings, "SECRET_KEY_FALLBACKS", []) or [])
    values += list(getattr(settings, "BACKUP_ENCRYPTION_KEYS", []) or [])
    values += [db.get("PASSWORD") or "" for db in getattr(settings, "DATABASES", {}).values()]
    # Short values would mask harmless words; real secrets are long.
    return sorted({v for v in values if len(v) >= 8}, key=len, reverse=True)


def redact(text: str) -> str:
    """The text with every secret we can recognise replaced by a mask."""
    if not text:
        return text
    try:
        known = _known_secrets()
    except Exception:  # settings not configured (early startup): patterns still apply
        known = []
    for value in known:
        text = text.replace(value, MASK)
    text = TOKEN.sub(rf"\g<1>{MASK}", text)
    text = URL_PASSWORD.sub(rf"\g<head>{MASK}", text)
    text = ASSIGNMENT.sub(rf"\g<head>{MASK}", text)
    text = QUERY_PAIR.sub(_mask_secret_pair, text)
    return FERNET_KEY.sub(MASK, text)


def _mask_secret_pair(match: re.Match) -> str:
    if not SECRET_NAME.search(match["name"]) or match["value"] == MASK:
        return match[0]
    return f"{match['name']}={MASK}"


# What every LogRecord carries; anything else on a record came in through `extra=`.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message", "asctime", "taskName", "_secrets_redacted"}


def _redact_value(value):
    """An `extra` value as a formatter would render it, redacted; numbers stay numbers."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(item) for item in value]
    return redact(str(value))


class RedactSecretsFilter(logging.Filter):
    """Masks secrets in the message, its arguments and its traceback; never drops a record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_secrets_redacted", False):
            return True  # several handlers share one record: redact once
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the raw template, redacted
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            # Formatters that format exc_info themselves (JSON formatters do) would
            # bypass the redacted text: only the redacted text is left to them.
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        # JSON formatters write every extra attribute: django.request's `request` is
        # rendered as "<WSGIRequest: GET '/path?token=...'>", the full query string.
        for name in record.__dict__.keys() - _RECORD_ATTRIBUTES:
            setattr(record, name, _redact_value(record.__dict__[name]))
        record._secrets_redacted = True
        return True
