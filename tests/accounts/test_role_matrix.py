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
from monitoring.models import Incident

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
            status = client.get(f"/admin/{app}/{model}/{page}").status_code
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
        path = "/" + route.replace("<int:pk>", str(incident.pk))
        # An empty JSON body: an allowed write answers 400 (bad input) or succeeds; the
        # test only tells refused (401/403) from let through, and never a 5xx.
        status = client.generic(method, path, "{}", content_type="application/json").status_code
        refused = status in (401, 403)
        if refused == (principal in allowed) or status >= 500:
            mismatches.append(f"{method} /{route}: {status}, matrix says "
                              f"{'allowed' if principal in allowed else 'refused'}")
    assert mismatches == []
