import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_hash, api_token_revoke

pytestmark = pytest.mark.django_db


def test_create_api_token_prints_the_token_alone_on_the_last_line_and_stores_only_a_hash():
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "bot", "--scopes", "ingest,read", stdout=out, stderr=err)
    raw = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get(name="bot")
    assert raw.startswith("ops_")
    assert token.scopes == ["ingest", "read"]
    assert token.key_hash == api_token_hash(raw)
    assert raw not in str(ApiToken.objects.values().get())


def test_an_unknown_scope_is_a_one_line_error_with_exit_code_2():
    with pytest.raises(CommandError) as exc:
        call_command("create_api_token", "bot", "--scopes", "read,admin")
    assert exc.value.returncode == 2
    assert "unknown scope(s): admin" in str(exc.value)
    assert "\n" not in str(exc.value)
    assert not ApiToken.objects.exists()


def test_a_token_with_the_scope_reads_metrics_and_is_marked_used(api, make_token):
    raw = make_token("read")
    response = api.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize("header", [
    None,
    "Bearer ops_deadbeef_nosuchtoken",
    "Bearer",
    "Bearer a b",
    "Basic dXNlcjpwYXNz",
    "Bearer \u00e9t\u00e9",
    "Bearer " + "x" * 5000,
])
def test_missing_unknown_or_malformed_credentials_are_a_401_json(api, header):
    kwargs = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = api.get("/metrics", **kwargs)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_a_revoked_token_is_refused(api, make_token):
    raw = make_token("read")
    assert api_token_revoke(token=ApiToken.objects.get()) is True
    assert api_token_revoke(token=ApiToken.objects.get()) is False
    assert api.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_a_token_without_the_scope_is_a_403(api, make_token):
    raw = make_token("ingest")
    response = api.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403
    assert "read" in response.json()["detail"]


def test_a_staff_session_reads_and_a_non_staff_session_does_not(viewer, django_user_model):
    client = APIClient()
    client.force_login(viewer)
    assert client.get("/metrics").status_code == 200
    outsider = django_user_model.objects.create_user("outsider", password="x")
    client.force_login(outsider)
    assert client.get("/metrics").status_code == 403


def test_tokens_are_created_and_revoked_in_admin_and_the_key_is_shown_once(client, portal_admin):
    client.force_login(portal_admin)
    response = client.post("/admin/accounts/apitoken/add/",
                           {"name": "prometheus", "scopes": ["read"]}, follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.get(name="prometheus")
    assert token.scopes == ["read"]
    page = response.content.decode()
    assert "not shown again" in page and "ops_" + token.prefix in page
    response = client.post("/admin/accounts/apitoken/",
                           {"action": "revoke", "_selected_action": [token.pk]}, follow=True)
    assert "1 token(s) revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
