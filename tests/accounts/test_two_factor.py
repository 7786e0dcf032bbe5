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


def _admin_urls() -> list[str]:
    """Every URL of the admin site: index, each model's pages, password change, history."""
    from django.contrib import admin
    from django.urls import URLPattern, URLResolver

    urls = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                # Fill path converters with something that parses: `<path:object_id>` -> 1.
                path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "1", route)
                path = path.lstrip("^").rstrip("$")
                if "(" not in path and "logout" not in path:
                    urls.append("/admin/" + path)

    walk(admin.site.get_urls(), "")
    return sorted(set(urls))


@pytest.mark.parametrize("authorization", ["x", "Bearer nonsense", "Basic YWRtaW46cHc="])
def test_an_authorization_header_never_lets_a_password_only_session_into_the_admin(
        client, required, portal_admin, authorization):
    """A header the admin never reads must not stand in for the second factor (issue 15)."""
    _login(client)
    urls = _admin_urls()
    assert len(urls) > 40 and "/admin/accounts/apitoken/add/" in urls
    for url in urls:
        response = client.get(url, HTTP_AUTHORIZATION=authorization)
        assert response.status_code == 302, (url, response.status_code)
        assert response["Location"].startswith("/account/2fa/setup/"), url
    response = client.post("/admin/auth/user/add/", {"username": "mallory", "password1": "x",
                           "password2": "x"}, HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 302 and response["Location"].startswith("/account/2fa/")


def test_an_enrolled_user_with_a_password_only_session_is_sent_to_verify(
        client, required, portal_admin):
    device, _ = _enrol_fresh_session(client)
    fresh = Client()
    _login(fresh)
    for url in ("/admin/", "/admin/accounts/apitoken/", "/admin/auditlog/logentry/"):
        response = fresh.get(url, HTTP_AUTHORIZATION="x")
        assert response.status_code == 302, url
        assert response["Location"].startswith("/account/2fa/verify/"), url


def _enrol_fresh_session(client):
    _login(client)
    return _enrol(client)


def test_the_api_refuses_an_unverified_session_whatever_header_it_carries(
        client, required, portal_admin):
    _login(client)
    assert client.get("/api/v1/incidents").status_code == 403
    # A header that is not a valid token is a 401: DRF never falls back to the session.
    assert client.get("/api/v1/incidents", HTTP_AUTHORIZATION="x").status_code == 401
    assert client.get("/api/v1/incidents",
                      HTTP_AUTHORIZATION="Bearer nonsense").status_code == 401
    assert client.get("/metrics").status_code == 403


def test_a_valid_token_beside_an_unverified_session_is_served_as_the_token(
        client, required, portal_admin, make_token):
    _login(client)
    token = make_token("read")
    response = client.get("/api/v1/incidents", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200


def test_a_verified_session_reaches_the_api(client, required, portal_admin):
    _enrol_fresh_session(client)
    assert client.get("/api/v1/incidents").status_code == 200
