"""Admin login lockout (django-axes): per user, per address, visible and resettable."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


def _attempt(client, username, password, ip="10.0.0.1", **headers):
    return client.post(LOGIN, {"username": username, "password": password},
                       REMOTE_ADDR=ip, headers=headers)


def _fail(client, username, times, ip="10.0.0.1"):
    for _ in range(times):
        response = _attempt(client, username, "wrong-password", ip=ip)
        assert response.status_code in (200, 429)


def test_five_failures_lock_the_user_out_even_with_the_right_password(client, portal_admin):
    _fail(client, "boss", 4)
    assert _attempt(client, "boss", "pw-boss", ip="10.0.0.9").status_code == 302  # 4: still in
    client.logout()
    _fail(client, "boss", 5, ip="10.0.0.2")
    response = _attempt(client, "boss", "pw-boss", ip="10.0.0.3")
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60
    assert b"locked out for 15 minutes" in response.content


def test_five_failures_from_one_address_lock_that_address_for_every_user(client, portal_admin,
                                                                        operator):
    for name in ("a", "b", "c", "d", "e"):
        _attempt(client, name, "nope", ip="10.0.0.5")
    assert _attempt(client, "operator", "pw-operator", ip="10.0.0.5").status_code == 429
    assert _attempt(client, "operator", "pw-operator", ip="10.0.0.6").status_code == 302


def test_the_lockout_answers_json_to_api_clients(client, portal_admin):
    _fail(client, "boss", 5)
    response = _attempt(client, "boss", "pw-boss", HTTP_ACCEPT="application/json",
                        Accept="application/json")
    assert response.status_code == 429
    body = response.json()
    assert "locked out" in body["detail"] and body["retry_after"] == 900


def test_an_admin_sees_the_lockout_and_lifts_it_with_the_unlock_action(client, portal_admin,
                                                                      operator):
    _fail(client, "operator", 5, ip="10.0.0.7")
    assert _attempt(client, "operator", "pw-operator", ip="10.0.0.8").status_code == 429
    boss = Client()
    boss.force_login(portal_admin)
    page = boss.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and b"operator" in page.content
    attempts = AccessAttempt.objects.filter(username="operator")
    response = boss.post("/admin/axes/accessattempt/", {
        "action": "unlock", "_selected_action": [a.pk for a in attempts]}, follow=True)
    assert b"Lockout lifted" in response.content
    assert not AccessAttempt.objects.filter(username="operator").exists()
    assert _attempt(client, "operator", "pw-operator", ip="10.0.0.8").status_code == 302
