"""Admin two-factor authentication, session cookies and logging out everywhere."""

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


@pytest.fixture
def required(settings):
    settings.ADMIN_2FA_REQUIRED = True


def _login(client, username="boss", password="pw-boss"):
    response = client.post("/admin/login/?next=/admin/",
                           {"username": username, "password": password})
    assert response.status_code == 302
    return response


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _enrol(client) -> tuple[TOTPDevice, list[str]]:
    page = client.get("/account/2fa/setup/?next=/admin/")
    assert page.status_code == 200 and b"<svg" in page.content
    device = TOTPDevice.objects.get(confirmed=False)
    assert re.search(r'id="totp-secret">[A-Z2-7]{32}<', page.content.decode())
    done = client.post("/account/2fa/setup/", {"token": _code(device), "next": "/admin/"})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>(\w+)</code></li>", done.content.decode())
    return device, codes


def test_without_a_device_the_admin_sends_staff_to_enrolment_then_lets_them_in(
        client, required, portal_admin):
    _login(client)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/account/2fa/setup/")
    device, codes = _enrol(client)
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200


def test_a_wrong_enrolment_code_confirms_nothing(client, required, portal_admin):
    _login(client)
    client.get("/account/2fa/setup/")
    response = client.post("/account/2fa/setup/", {"token": "000000x"})
    assert b"not valid" in response.content
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    assert client.get("/admin/").status_code == 302


def test_an_enrolled_user_must_give_a_code_or_a_recovery_code_at_each_login(
        required, settings, portal_admin):
    # Wrong codes slow the next attempts down (tested below); not what this test is about.
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0
    first = Client()
    _login(first)
    device, codes = _enrol(first)
    again = Client()
    _login(again)
    assert again.get("/admin/")["Location"].startswith("/account/2fa/verify/")
    assert b"not valid" in again.post("/account/2fa/verify/", {"token": "123"}).content
    assert again.get("/api/v1/incidents").status_code == 403  # session API: no 2FA, no entry
    response = again.post("/account/2fa/verify/", {"token": codes[0], "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert again.get("/admin/").status_code == 200
    third = Client()
    _login(third)
    # A recovery code works once.
    assert b"not valid" in third.post("/account/2fa/verify/", {"token": codes[0]}).content
    assert third.post("/account/2fa/verify/", {"token": codes[1]}).status_code == 302


def test_a_wrong_code_throttles_the_next_attempts(required, portal_admin):
    first = Client()
    _login(first)
    device, _ = _enrol(first)
    again = Client()
    _login(again)
    assert b"not valid" in again.post("/account/2fa/verify/", {"token": "000000"}).content
    # Even the right code is refused inside the back-off window that follows a failure.
    assert b"not valid" in again.post("/account/2fa/verify/", {"token": _code(device)}).content


def test_two_factor_is_off_when_not_required(client, settings, portal_admin):
    settings.ADMIN_2FA_REQUIRED = False
    _login(client)
    assert client.get("/admin/").status_code == 200


def test_bearer_tokens_are_not_asked_for_a_second_factor(required, read_client):
    assert read_client.get("/api/v1/incidents").status_code == 200


def test_the_session_cookie_is_httponly_and_samesite_and_rotates_at_login(client, portal_admin):
    # An anonymous session planted before login (session fixation) must not survive it.
    planted = client.session
    planted["visited"] = True
    planted.save()
    client.cookies["sessionid"] = planted.session_key
    response = _login(client)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie.value != planted.session_key
    assert not Session.objects.filter(session_key=planted.session_key).exists()


def test_a_session_ends_with_the_browser_and_after_twelve_hours(client, portal_admin):
    cookie = _login(client).cookies["sessionid"]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    lifetime = Session.objects.get(session_key=cookie.value).expire_date - timezone.now()
    assert timedelta(hours=11, minutes=59) < lifetime <= timedelta(hours=12)


def test_log_out_everywhere_ends_every_session_of_the_user_only(portal_admin, operator):
    phone, laptop, other = Client(), Client(), Client()
    _login(phone)
    _login(laptop)
    _login(other, "operator", "pw-operator")
    assert laptop.post("/account/logout-everywhere/").status_code == 302
    assert phone.get("/admin/").status_code == 302  # signed out
    assert laptop.get("/admin/").status_code == 302
    assert other.get("/admin/").status_code == 200
    assert Session.objects.count() == 1
