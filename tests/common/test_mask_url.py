"""mask_url: the one masking of credentials inside URLs; and the field encryption."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from common.encryption import decrypt_text, encrypt_text, reencrypt_text
from common.redaction import mask_url, redact

CASES = [
    # Apprise: what each plugin calls secret, wherever it sits in the URL.
    ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/12345", "tgram://********/12345"),
    ("pagerduty://integkey123@apikey456", "pagerduty://********@********"),
    ("json://alice:Hook-Pass-4242@127.0.0.1:9/alerts?token=abc123&format=markdown",
     "json://alice:********@127.0.0.1:9/alerts?token=********&format=markdown"),
    ("gotify://example.com/AbCdEf12345", "gotify://example.com/********"),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#ops",
     "slack://********/********/********/#ops"),
    ("mailto://ops:Mail-Pw-1@gmail.com", "mailto://ops:********@gmail.com"),
    # RPC URLs: keys in the query, in the path, as a user name; hosts stay readable.
    ("https://mainnet.helius-rpc.com/?api-key=0c6e-4f4e", "https://mainnet.helius-rpc.com/?api-key=********"),
    ("https://x-1.solana-mainnet.quiknode.pro/a1b2c3d4e5f6a7b8c9d0e1f2/",
     "https://x-1.solana-mainnet.quiknode.pro/********/"),
    ("https://solana-mainnet.g.alchemy.com/v2/AbCdEfGhIjKlMnOpQrStUvWxYz123456",
     "https://solana-mainnet.g.alchemy.com/v2/********"),
    ("https://KEY@rpc.example/x", "https://********@rpc.example/x"),
    # Nothing secret: unchanged.
    ("http://127.0.0.1:9/helius", "http://127.0.0.1:9/helius"),
    ("json://127.0.0.1:9/alerts", "json://127.0.0.1:9/alerts"),
    ("", ""),
]


@pytest.mark.parametrize(("url", "masked"), CASES)
def test_mask_url_hides_credentials_and_keeps_the_rest(url, masked):
    assert mask_url(url) == masked
    assert mask_url(masked) == masked  # masking a masked URL changes nothing


def test_a_url_urlsplit_refuses_is_masked_not_raised():
    # A placeholder in someone's docs: urlsplit raises "Invalid IPv6 URL" on it.
    url = "postgresql://[USER:Real-Pw-99@]db.example/app?password=Other-Pw"
    masked = mask_url(url)
    assert "Real-Pw-99" not in masked and "Other-Pw" not in masked
    assert masked.startswith("postgresql://") and "db.example/app" in masked
    assert "Real-Pw-99" not in redact(f"connect to {url} failed")


def test_the_log_filter_masks_urls_in_free_text():
    text = redact("probe of https://rpc.example/v1/a1b2c3d4e5f6a7b8c9d0?api-key=Sekrit-1, "
                  "then (redis://:Redis-Pw-77@127.0.0.1:6379/0).")
    assert text == ("probe of https://rpc.example/v1/********?api-key=********, "
                    "then (redis://:********@127.0.0.1:6379/0).")


def test_field_encryption_round_trips_rotates_and_refuses_an_unknown_key(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    token = encrypt_text("https://rpc.example/?api-key=x")
    assert "api-key" not in token
    settings.FIELD_ENCRYPTION_KEYS = [new, old]  # rotation: the new key first
    assert decrypt_text(token) == "https://rpc.example/?api-key=x"
    rotated = reencrypt_text(token)
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert decrypt_text(rotated) == "https://rpc.example/?api-key=x"
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY"):
        decrypt_text(token, what="monitoring.RpcEndpoint.url")


def test_without_a_field_key_the_key_derives_from_secret_key_and_its_fallbacks(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    token = encrypt_text("tgram://secret/1")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-this-test-only-0123456789"
    assert decrypt_text(token) == "tgram://secret/1"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ImproperlyConfigured):
        decrypt_text(token)


@pytest.mark.django_db
def test_bootstrap_re_encrypts_stored_urls_under_the_first_key(settings):
    from django.core.management import call_command
    from django.db import connection

    from monitoring.services import rpc

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    endpoint = rpc.rpc_endpoint_create(name="keyed", url="https://rpc.example/?api-key=k1")
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("bootstrap", verbosity=0)
    settings.FIELD_ENCRYPTION_KEYS = [new]  # OLD dropped: the row still reads
    endpoint.refresh_from_db()
    assert endpoint.url == "https://rpc.example/?api-key=k1"
    with connection.cursor() as cursor:
        cursor.execute("SELECT url FROM monitoring_rpcendpoint")
        assert Fernet(new.encode()).decrypt(cursor.fetchone()[0].encode())
