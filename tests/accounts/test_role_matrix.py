"""Walks accounts/matrix.py: every admin page and API endpoint, every principal."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts.matrix import ADMIN_MATRIX, API_MATRIX, PRINCIPALS, ROLES
from accounts.services import api_token_create
from incidents.models import Incident

pytestmark = pytest.mark.django_db
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def api_endpoints() -> list[tuple[str, str]]:
    """(route, method) of every DRF view in the URLconf, admin excluded."""
    found = []
    for route, callback in _routes(get_resolver().url_patterns):
        view = getattr(callback, "cls", None)
        if route.startswith("admin/") or not (view and issubclass(view, APIView)):
            continue
        found += [(route, m) for m in METHODS if hasattr(view, m.lower())]
    return found


def admin_models() -> list[str]:
    return sorted(model._meta.label for model in admin.site._registry)


def test_every_admin_model_and_api_endpoint_has_exactly_one_row():
    assert sorted(set(admin_models()) - set(ADMIN_MATRIX)) == [], "admin models without a row"
    assert sorted(set(ADMIN_MATRIX) - set(admin_models())) == [], "rows for no admin model"
    endpoints = api_endpoints()
    assert sorted(set(endpoints) - set(API_MATRIX)) == [], "API endpoints without a row"
    assert sorted(set(API_MATRIX) - set(endpoints)) == [], "rows for no API endpoint"


def _staff(role: str) -> User:
    user = User.objects.create_user(f"m-{role}", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_open_exactly_as_the_matrix_says(roles, role):
    client = Client()
    client.force_login(_staff(role))
    mismatches = []
    for label, (viewers, adders) in ADMIN_MATRIX.items():
        app, model = label.lower().split(".")
        for page, allowed in (("", viewers), ("add/", adders)):
            response = client.get(f"/admin/{app}/{model}/{page}")
            status = response.status_code
            # An admin entry that stands for a page of its own (the readiness overview)
            # redirects there: that is an open door too, unlike a bounce to the login.
            if status == 302 and "/login/" not in response["Location"]:
                status = 200
            if (status == 200) != (role in allowed) or status not in (200, 403):
                mismatches.append(f"{label} {page or 'changelist'}: {status}, "
                                  f"matrix says {'allowed' if role in allowed else 'refused'}")
    assert mismatches == []


def _client(principal: str) -> APIClient:
    client = APIClient()
    if principal in ROLES:
        client.force_login(_staff(principal))
    else:
        _, raw = api_token_create(name=f"m-{principal}", scopes=[principal])
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_api_endpoints_answer_exactly_as_the_matrix_says(roles, principal):
    client = _client(principal)
    incident = Incident.objects.create(title="matrix", severity="sev3",
                                       started_at=timezone.now(), detected_at=timezone.now())
    mismatches = []
    for (route, method), allowed in API_MATRIX.items():
        path = "/" + route.replace("<int:pk>", str(incident.pk)).replace(
            "<slug:name>", "matrix-store")
        # An empty JSON body: an allowed write answers 400 (bad input) or succeeds; the
        # test only tells refused (401/403) from let through, and never a 5xx.
        status = client.generic(method, path, "{}", content_type="application/json").status_code
        refused = status in (401, 403)
        if refused == (principal in allowed) or status >= 500:
            mismatches.append(f"{method} /{route}: {status}, matrix says "
                              f"{'allowed' if principal in allowed else 'refused'}")
    assert mismatches == []


def _write_views() -> list[tuple[str, str, type]]:
    """(route, method, view class) of every API call that changes something."""
    found = []
    for route, callback in _routes(get_resolver().url_patterns):
        view = getattr(callback, "cls", None)
        if route.startswith("admin/") or not (view and issubclass(view, APIView)):
            continue
        if getattr(view, "credential_in_url", False):
            continue  # its URL token is the credential: no session or role reaches it
        found += [(route, m, view) for m in ("POST", "PUT", "PATCH", "DELETE")
                  if hasattr(view, m.lower())]
    return found


def test_every_api_write_names_the_model_permission_the_admin_checks():
    missing = [f"{m} /{route}" for route, m, view in _write_views()
               if m not in getattr(view, "model_permissions", {})]
    assert missing == [], "write endpoints a session could never use (or would use unchecked)"


def test_api_writes_and_the_admin_grant_the_same_roles(roles):
    """One matrix: a role may write through the API exactly when its group holds the
    model permission the admin checks for the same model (accounts/roles.py)."""
    disagreements = []
    for route, method, view in _write_views():
        model, action = view.model_permissions[method]
        codename = f"{action}_{model._meta.model_name}"
        for role in ROLES:
            holds = Group.objects.get(name=role).permissions.filter(
                content_type__app_label=model._meta.app_label, codename=codename).exists()
            if holds != (role in API_MATRIX[(route, method)]):
                disagreements.append(f"{role} {method} /{route}: group holds "
                                     f"{model._meta.app_label}.{codename}={holds}")
    assert disagreements == []


@pytest.mark.parametrize(("api_path", "admin_page", "body"), [
    ("/api/v1/alert-rules", "/admin/alerting/alertrule/add/",
     {"name": "ic rule", "metric_key": "backup_database_stale", "operator": ">=",
      "threshold": 1, "for_seconds": 0, "severity": "warning", "actions": ["notify"]}),
    ("/api/v1/notification-channels", "/admin/alerting/notificationchannel/add/",
     {"name": "ic hook", "url": "json://127.0.0.1:9/hook"}),
    ("/api/v1/rpc/endpoints", "/admin/monitoring/rpcendpoint/add/",
     {"name": "ic rpc", "url": "https://127.0.0.1:9/rpc", "priority": 9}),
    ("/api/v1/heartbeats", "/admin/monitoring/heartbeat/add/",
     {"name": "ic beat", "period_seconds": 600, "grace_seconds": 60}),
])
def test_the_incident_commander_configures_nothing_through_the_api(roles, api_path,
                                                                   admin_page, body):
    """Issue 15.10: what the admin refuses the Incident Commander, the API refuses too."""
    client = _client("Incident Commander")
    assert client.get(admin_page).status_code == 403
    before = _row_count(api_path)
    response = client.post(api_path, body, format="json")
    assert response.status_code == 403, response.content
    assert "permission" in response.json()["detail"]
    assert _row_count(api_path) == before
    # The same call by an Operator goes through: the refusal is the role, not the body.
    assert _client("Operator").post(api_path, body, format="json").status_code == 201


def _row_count(api_path: str) -> int:
    from alerting.models import AlertRule, NotificationChannel
    from monitoring.models import Heartbeat, RpcEndpoint
    model = {"/api/v1/alert-rules": AlertRule, "/api/v1/notification-channels":
             NotificationChannel, "/api/v1/rpc/endpoints": RpcEndpoint,
             "/api/v1/heartbeats": Heartbeat}[api_path]
    return model.objects.count()
