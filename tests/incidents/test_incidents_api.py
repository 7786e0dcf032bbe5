"""The incident API: list filters, open, PATCH through the workflow, timeline, postmortem."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from incidents import services
from incidents.models import Incident

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
URL = "/api/v1/incidents"
pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", is_staff=True)


def make(title="Trades failing", severity="sev2", at=T0, **kw):
    return services.incident_open(title=title, severity=severity, at=at, **kw)


def resolved_with_postmortem(alice):
    incident = make()
    services.incident_transition(incident=incident, to_status="resolved", actor=alice,
                                 at=T0 + timedelta(minutes=20))
    services.postmortem_create(incident=incident, actor=alice, summary="It broke.")
    return incident


def test_it_opens_an_incident_with_a_commander_given_by_username(write_client, alice):
    response = write_client.post(URL, {
        "title": "RPC down", "severity": "sev1", "commander": "alice",
        "affected_components": ["rpc"],
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "investigating"
    assert body["commander"] == "alice"
    assert body["acknowledged_at"] is not None
    assert body["source"] == "token:test"
    assert [e["author"] for e in body["timeline"]] == ["token:test", "token:test"]


@pytest.mark.parametrize(("payload", "field", "message"), [
    ({"title": "x", "severity": "sev9"}, "severity", "not a valid choice"),
    ({"title": "x", "severity": "sev2", "commander": "nobody"}, "commander", "Unknown user"),
    ({"severity": "sev2"}, "title", "required"),
])
def test_it_rejects_a_bad_new_incident_with_a_clear_400(write_client, payload, field, message):
    response = write_client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert message in response.json()[field][0]
    assert not Incident.objects.exists()


def test_it_lists_incidents_filtered_by_status_severity_and_start(read_client, alice):
    make("old", at=T0 - timedelta(days=3))
    sev1 = make("sev1 now", severity="sev1")
    done = make("resolved")
    services.incident_transition(incident=done, to_status="resolved", actor=alice)

    def titles(**params):
        response = read_client.get(URL, params)
        assert response.status_code == 200, response.json()
        return sorted(i["title"] for i in response.json()["results"])

    assert titles() == ["old", "resolved", "sev1 now"]
    assert titles(status="resolved") == ["resolved"]
    assert titles(severity="sev1") == ["sev1 now"]
    assert titles(started_after="2026-11-23") == ["resolved", "sev1 now"]
    assert titles(started_before="2026-11-22T00:00:00Z") == ["old"]
    assert read_client.get(f"{URL}/{sev1.pk}").json()["severity"] == "sev1"


@pytest.mark.parametrize(("params", "field"), [
    ({"status": "fixed"}, "status"),
    ({"severity": "high"}, "severity"),
    ({"started_after": "yesterday"}, "started_after"),
    ({"started_after": "2026-11-24", "started_before": "2026-11-01"}, "started_before"),
    ({"status": ""}, "status"),  # empty is not "no filter": found by tests/fuzz
])
def test_it_rejects_a_bad_filter_with_a_clear_400(read_client, params, field):
    response = read_client.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_list_runs_a_fixed_number_of_queries(read_client, alice, django_assert_max_num_queries):
    for n in range(5):
        make(f"i{n}", commander=alice)
    with django_assert_max_num_queries(6):
        assert len(read_client.get(URL).json()["results"]) == 5


def test_a_read_token_cannot_change_an_incident(read_client):
    incident = make()
    response = read_client.patch(f"{URL}/{incident.pk}", {"status": "resolved"}, format="json")
    assert response.status_code == 403


def test_patch_moves_the_status_through_the_workflow_with_a_note(write_client, alice):
    incident = make()
    response = write_client.patch(f"{URL}/{incident.pk}", {
        "status": "identified", "commander": alice.pk, "note": "Bad deploy",
        "severity": "sev1",
    }, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["commander"], body["severity"]) == ("identified", "alice", "sev1")
    texts = [e["text"] for e in body["timeline"]]
    assert "Status: investigating → identified. Bad deploy" in texts


@pytest.mark.parametrize(("payload", "field", "message"), [
    ({"status": "fixed"}, "status", "not a valid choice"),
    ({"commander": "ghost"}, "commander", "Unknown user 'ghost'"),
    ({"acknowledged_at": "2026-11-24T11:00:00Z"}, "acknowledged_at", "before"),
    ({}, "non_field_errors", "Nothing to change"),
])
def test_it_rejects_a_bad_change_with_a_clear_400(write_client, payload, field, message):
    incident = make()
    response = write_client.patch(f"{URL}/{incident.pk}", payload, format="json")
    assert response.status_code == 400, response.json()
    assert message in response.json()[field][0]


def test_it_rejects_moving_a_resolved_incident_back_to_monitoring(write_client, alice):
    incident = make()
    services.incident_transition(incident=incident, to_status="resolved", actor=alice)
    response = write_client.patch(f"{URL}/{incident.pk}", {"status": "monitoring"}, format="json")
    assert response.status_code == 400
    assert "Cannot move an incident from resolved to monitoring" in response.json()["status"][0]


def test_it_adds_a_timeline_entry(write_client):
    incident = make()
    response = write_client.post(f"{URL}/{incident.pk}/timeline", {
        "kind": "action", "text": "Restarted the bot", "at": "2026-11-24T12:05:00Z",
        "data": {"by": "script"},
    }, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["author"] == "token:test"
    entry = incident.timeline.get(kind="action")
    assert entry.at == T0 + timedelta(minutes=5) and entry.data == {"by": "script"}


@pytest.mark.parametrize("payload", [
    {"text": ""}, {"kind": "status_change", "text": "sneaky"}, {"kind": "note"},
])
def test_it_rejects_a_bad_timeline_entry(write_client, payload):
    incident = make()
    response = write_client.post(f"{URL}/{incident.pk}/timeline", payload, format="json")
    assert response.status_code == 400
    assert incident.timeline.count() == 1


def test_an_unknown_incident_is_a_json_404(read_client):
    response = read_client.get(f"{URL}/999/postmortem", HTTP_ACCEPT="text/markdown")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_it_exports_the_postmortem_as_json_or_markdown(read_client, alice):
    incident = resolved_with_postmortem(alice)
    response = read_client.get(f"{URL}/{incident.pk}/postmortem")
    assert response.status_code == 200
    assert response.json()["incident"]["resolved_at"] == "2026-11-24T12:20:00+00:00"
    response = read_client.get(f"{URL}/{incident.pk}/postmortem", HTTP_ACCEPT="text/markdown")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    text = response.content.decode()
    assert text.startswith("# Postmortem: Trades failing")
    assert "| duration | 20m 00s |" in text
    assert "Status: investigating → resolved" in text


def test_a_missing_postmortem_is_a_404_with_a_message(read_client):
    response = read_client.get(f"{URL}/{make().pk}/postmortem")
    assert response.status_code == 404
    assert "no postmortem yet" in response.json()["detail"]


def test_publishing_with_an_unowned_action_item_is_a_400_until_it_has_an_owner(
    write_client, alice,
):
    incident = resolved_with_postmortem(alice)
    response = write_client.post(f"{URL}/{incident.pk}/postmortem/action-items",
                                 {"title": "Add alert", "due_date": "2026-12-01"}, format="json")
    assert response.status_code == 201, response.json()
    item_id = response.json()["id"]
    pm_url = f"{URL}/{incident.pk}/postmortem"
    response = write_client.patch(pm_url, {"status": "published", "lessons": "Test failover"},
                                  format="json")
    assert response.status_code == 400
    assert "needs an owner" in response.json()["status"][0]
    assert write_client.get(pm_url).json()["lessons"] == ""  # nothing half-written
    response = write_client.patch(f"/api/v1/action-items/{item_id}", {"owner": "alice"},
                                  format="json")
    assert response.status_code == 200, response.json()
    response = write_client.patch(pm_url, {"status": "published", "lessons": "Test failover"},
                                  format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "published"
    assert response.json()["action_items"][0]["owner"] == "alice"


def test_starting_a_second_postmortem_is_refused(write_client, alice):
    incident = resolved_with_postmortem(alice)
    response = write_client.post(f"{URL}/{incident.pk}/postmortem", {}, format="json")
    assert response.status_code == 400
    assert "already has a postmortem" in response.json()["incident"][0]


def test_the_schema_documents_the_incident_endpoints(api):
    response = api.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = response.json()["paths"]
    for path in ["/api/v1/incidents", "/api/v1/incidents/{id}",
                 "/api/v1/incidents/{id}/timeline", "/api/v1/incidents/{id}/postmortem"]:
        assert path in paths, sorted(paths)
    assert {"get", "post"} <= set(paths["/api/v1/incidents"])
    assert "patch" in paths["/api/v1/incidents/{id}"]


def test_the_markdown_export_is_also_reachable_with_format_md(read_client, alice):
    incident = resolved_with_postmortem(alice)
    response = read_client.get(f"{URL}/{incident.pk}/postmortem", {"format": "md"})
    assert response.status_code == 200
    assert response.content.decode().startswith("# Postmortem: Trades failing")


def test_it_rejects_an_incident_dated_in_the_future(write_client):
    response = write_client.post(URL, {"title": "x", "severity": "sev3",
                                       "started_at": "2999-01-01T00:00:00Z"}, format="json")
    assert response.status_code == 400
    assert response.json()["started_at"] == ["Cannot be in the future."]


def test_patching_the_current_status_again_changes_nothing(write_client):
    incident = make()
    response = write_client.patch(f"{URL}/{incident.pk}", {"status": "investigating"},
                                  format="json")
    assert response.status_code == 200
    assert len(response.json()["timeline"]) == 1


def test_durations_are_numbers_of_seconds_as_the_schema_says(write_client, api):
    incident = make()
    response = write_client.patch(f"{URL}/{incident.pk}",
                                  {"acknowledged_at": incident.detected_at.isoformat()},
                                  format="json")
    assert response.status_code == 200, response.content
    assert response.json()["time_to_acknowledge_seconds"] == 0.0
    schema = api.get("/api/schema?format=json").json()["components"]["schemas"]
    field = schema["IncidentDetail"]["properties"]["time_to_acknowledge_seconds"]
    assert field["type"] == "number" and field["nullable"] is True


@pytest.mark.parametrize(("commander", "field_error"), [
    ("ali\x00ce", "Give a username"),  # a 500 on PostgreSQL before: found by tests/fuzz
    ("\u00b2", "Unknown user"),  # a digit to str.isdigit(), not to int()
])
def test_a_commander_that_cannot_name_a_user_is_a_400(write_client, commander, field_error):
    response = write_client.post(URL, {"title": "t", "severity": "sev3",
                                       "commander": commander}, format="json")
    assert response.status_code == 400, response.content
    assert field_error in response.json()["commander"][0]
    assert not Incident.objects.exists()
