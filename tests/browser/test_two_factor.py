"""A staff member's first admin login with two-factor required, in a real browser:
enrolment from the secret on the page, recovery codes, then a second login that asks
for a code."""

import base64

import pytest
from django_otp.oath import totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _phone(secret: str) -> str:
    """What an authenticator app shows for the secret typed in from the page (RFC 6238)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, step=30, t0=0, digits=6):06d}"


def _sign_in(page, live_server, user, password):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")


def test_first_login_enrols_an_authenticator_and_the_next_login_asks_for_a_code(
        settings, browser, page, live_server, operator):
    settings.ADMIN_2FA_REQUIRED = True
    _sign_in(page, live_server, operator, "pw-operator")
    page.wait_for_url("**/account/2fa/setup/**")
    secret = page.locator("#totp-secret").inner_text()
    assert page.locator("svg").count() >= 1  # the QR code

    page.fill("#id_token", _phone(secret))
    page.click("input[type=submit]")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(f"{live_server.url}/admin/")

    # A fresh browser: the password alone reaches only the verification page.
    other = browser.new_context().new_page()
    _sign_in(other, live_server, operator, "pw-operator")
    other.wait_for_url("**/account/2fa/verify/**")
    other.goto(f"{live_server.url}/admin/")
    assert "/account/2fa/verify/" in other.url
    # A recovery code works once in place of the app.
    other.fill("#id_token", codes[0])
    other.click("input[value=Verify]")
    other.wait_for_url(f"{live_server.url}/admin/")
    other.context.close()
