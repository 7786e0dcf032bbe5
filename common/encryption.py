"""Secrets kept encrypted at rest: model fields whose column holds a Fernet token.

Notification-channel and RPC-endpoint URLs carry bot tokens and API keys. The database
(and every dump of it) holds them encrypted with the same scheme the wallet-key backups
use: Fernet (AES-CBC + HMAC-SHA256) through MultiFernet, a comma-separated list of keys
of which the first encrypts and all decrypt, so a key rotates by prepending the new one.

The keys are FIELD_ENCRYPTION_KEY (or FIELD_ENCRYPTION_KEY_FILE). Unset, they are
derived from SECRET_KEY (and SECRET_KEY_FALLBACKS, for reading) with HKDF, which is
what development and the tests use; production sets its own (`check --deploy` warns).

Written by hand rather than with an encrypted-fields package: the ones on PyPI are
unmaintained or bring their own key scheme, and this is the project's own Fernet
set-up in thirty lines. The price of encryption: the column can no longer be searched
or filtered on.
"""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

_HKDF_INFO = b"opsportal field encryption v1"


def _derived_key(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


def field_encryption_keys() -> list[bytes]:
    """The keys in order: the first encrypts, every one decrypts."""
    configured = [k.strip() for k in getattr(settings, "FIELD_ENCRYPTION_KEYS", []) if k.strip()]
    if configured:
        return [k.encode() for k in configured]
    fallbacks = list(getattr(settings, "SECRET_KEY_FALLBACKS", []) or [])
    return [_derived_key(s) for s in [settings.SECRET_KEY, *fallbacks] if s]


@lru_cache(maxsize=8)
def _fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY holds a key that is not a Fernet key "
                                   "(32 url-safe base64-encoded bytes)") from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(field_encryption_keys()))


def encrypt_text(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str, *, what: str = "a value") -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            f"cannot decrypt {what}: it was encrypted with a key that is not in "
            "FIELD_ENCRYPTION_KEY (or, with that unset, not SECRET_KEY or one of "
            "SECRET_KEY_FALLBACKS)") from None


def reencrypt_text(token: str) -> str:
    """The same plaintext under the first key (MultiFernet.rotate): for key rotation."""
    return fernet().rotate(token.encode()).decode()


class EncryptedMixin:
    """Plaintext in Python (forms, serializers, validators, max_length), a Fernet token in
    the column. The column is TEXT: a token is about 1.4 times longer than its plaintext."""

    def get_internal_type(self):
        return "TextField"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt_text(value, what=f"{self.model._meta.label}.{self.name}")

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(str(value))


class EncryptedCharField(EncryptedMixin, models.CharField):
    pass


class EncryptedURLField(EncryptedMixin, models.URLField):
    pass


def encrypted_fields_rotate() -> list[str]:
    """Re-encrypt, under the first key, every stored value another key encrypted.

    Run by `bootstrap` (every deploy), so FIELD_ENCRYPTION_KEY=NEW,OLD can lose OLD
    after it. A queryset update() sends no signal: the plaintext is unchanged, so the
    audit log has nothing to record.
    """
    from django.apps import apps
    from django.db import connection

    first = Fernet(field_encryption_keys()[0])
    quote = connection.ops.quote_name
    lines = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, EncryptedMixin):
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {quote(model._meta.pk.column)}, {quote(field.column)} "  # noqa: S608
                               f"FROM {quote(model._meta.db_table)}")
                rows = cursor.fetchall()
            stale, what = [], f"{model._meta.label}.{field.name}"
            for pk, token in rows:
                if not token:
                    continue
                try:
                    first.decrypt(token.encode())
                except InvalidToken:
                    stale.append((pk, decrypt_text(token, what=what)))
            for pk, plaintext in stale:
                model._default_manager.filter(pk=pk).update(**{field.name: plaintext})
            lines.append(f"{what}: {len(rows)} stored, "
                         f"{len(stale)} re-encrypted with the first key")
    return lines
