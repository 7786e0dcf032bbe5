"""String fields of the API refuse numbers, booleans, lists and objects (no coercion).

DRF would store `{"title": 0}` as the title "0"; every string field, declared or
mapped from a model field, now answers 400 "Not a valid string." and writes nothing.
"""

import pytest
from django.apps import apps
from django.db import connection

from incidents.models import Postmortem
from tests.alerting.factories import AlertRuleFactory
from tests.incidents.factories import ActionItemFactory, IncidentFactory

pytestmark = pytest.mark.django_db

NOT_STRINGS = [0, 1.5, True, ["x"], {"x": "y"}]


@pytest.fixture
def seeded(db):
    item = ActionItemFactory(postmortem__incident__title="RPC outage")
    bare = IncidentFactory(title="No postmortem yet", severity="sev3")
    rule = AlertRuleFactory(name="errors", threshold=1)
    return {"incident": item.postmortem.incident_id, "bare": bare.pk, "item": item.pk,
            "rule": rule.pk}


# (method, path, a valid body, its string fields): every string field of every write.
WRITES = [
    ("post", "/api/v1/incidents", {"title": "t", "severity": "sev2", "summary": "s",
                                   "source": "bot", "affected_components": ["rpc"]},
     ["title", "summary", "source", "affected_components.0"]),
    ("patch", "/api/v1/incidents/{incident}", {"title": "t", "summary": "s", "note": "n"},
     ["title", "summary", "note"]),
    ("post", "/api/v1/incidents/{incident}/timeline", {"text": "t"}, ["text"]),
    ("post", "/api/v1/incidents/{bare}/postmortem",
     {"summary": "s", "trigger": "t", "root_cause": "r", "lessons": "l"},
     ["summary", "trigger", "root_cause", "lessons"]),
    ("patch", "/api/v1/incidents/{incident}/postmortem",
     {"detection": "d", "resolution": "r", "went_well": "w", "went_badly": "b"},
     ["detection", "resolution", "went_well", "went_badly"]),
    ("post", "/api/v1/incidents/{incident}/postmortem/action-items", {"title": "t"},
     ["title"]),
    ("patch", "/api/v1/action-items/{item}", {"title": "t"}, ["title"]),
    ("post", "/api/v1/heartbeats", {"name": "cron", "period_seconds": 60, "grace_seconds": 5},
     ["name"]),
    ("post", "/api/v1/rpc/endpoints", {"name": "backup", "url": "https://rpc.example.org",
                                       "priority": 1}, ["name", "url"]),
    ("post", "/api/v1/alert-rules", {"name": "slow", "metric_key": "error_rate",
                                     "operator": ">", "threshold": 500,
                                     "runbook_url": "https://ops.example.org/rb"},
     ["name", "metric_key", "runbook_url"]),
    ("patch", "/api/v1/alert-rules/{rule}", {"name": "errors2"}, ["name"]),
    ("post", "/api/v1/notification-channels", {"name": "ops", "url": "json://127.0.0.1:9/"},
     ["name", "url"]),
]
CASES = [pytest.param(method, path, body, field, id=f"{method} {path} {field}")
         for method, path, body, fields in WRITES for field in fields]


def _rows() -> dict[str, int]:
    tables = connection.introspection.table_names()
    return {m._meta.db_table: m._base_manager.count() for m in apps.get_models()
            if m._meta.db_table in tables and m._meta.label != "monitoring.MeasurementRollup"}


def _with(body: dict, field: str, value) -> dict:
    name, _, index = field.partition(".")
    return {**body, name: [value] if index else value}


@pytest.mark.parametrize(("method", "path", "body", "field"), CASES)
def test_a_string_field_refuses_every_non_string_and_writes_nothing(
        write_client, seeded, method, path, body, field):
    url = path.format(**seeded)
    name = field.partition(".")[0]
    for value in NOT_STRINGS:
        before = _rows()
        response = getattr(write_client, method)(url, _with(body, field, value), format="json")
        assert response.status_code == 400, (value, response.content)
        assert name in response.json(), response.json()
        assert "Not a valid string." in str(response.json()[name]), response.json()
        assert _rows() == before, value


@pytest.mark.parametrize(("method", "path", "body"),
                         [pytest.param(m, p, b, id=f"{m} {p}") for m, p, b, _ in WRITES])
def test_the_same_bodies_with_strings_are_accepted(write_client, seeded, method, path, body):
    # So each refusal above is the field's type, not something else in the body.
    response = getattr(write_client, method)(path.format(**seeded), body, format="json")
    assert response.status_code in (200, 201), response.content


def test_a_number_for_the_title_opens_no_incident(write_client):
    response = write_client.post("/api/v1/incidents", {"title": 0, "severity": "sev2"},
                                 format="json")
    assert response.status_code == 400
    assert response.json() == {"title": ["Not a valid string."]}


def test_a_decimal_sent_as_a_number_is_refused(write_client, seeded):
    # The schema types it as a string: 0.1 as a JSON number is already inexact.
    url = f"/api/v1/incidents/{seeded['incident']}/postmortem"
    response = write_client.patch(url, {"fees_affected_sol": 0.125}, format="json")
    assert response.status_code == 400
    assert "fees_affected_sol" in response.json()
    response = write_client.patch(url, {"fees_affected_sol": "0.125"}, format="json")
    assert response.status_code == 200
    postmortem = Postmortem.objects.get(incident_id=seeded["incident"])
    assert str(postmortem.fees_affected_sol) == "0.125000000"


@pytest.mark.parametrize(("method", "path", "body"),
                         [pytest.param(m, p, b, id=f"{m} {p}") for m, p, b, _ in WRITES])
def test_a_form_body_is_refused_with_415_and_writes_nothing(write_client, seeded, method,
                                                           path, body):
    # A form turns every value into text, so a number or null would pass as a string.
    before = _rows()
    response = getattr(write_client, method)(
        path.format(**seeded), "&".join(f"{k}=x" for k in body),
        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415, response.content
    assert _rows() == before
