"""Cross-cutting API answers the fuzzer (tests/fuzz) found undocumented or lenient."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError

from common.errors import api_exception_handler
from monitoring.models import RpcEndpoint
from monitoring.services import rpc

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", [
    "limit=abc", "limit=0", "limit=-1", "limit=1001", "offset=-1", "offset=x",
    "offset=1000000001",
])
def test_a_bad_page_parameter_is_a_json_400_not_the_default_page(read_client, query):
    response = read_client.get(f"/api/v1/heartbeats?{query}")
    assert response.status_code == 400, response.content
    assert query.split("=")[0] in response.json()


def test_good_page_parameters_still_page(read_client):
    body = read_client.get("/api/v1/heartbeats?limit=1000&offset=0").json()
    assert body["count"] == 0 and body["results"] == []


@pytest.mark.parametrize("url", ["/metrics?format=", "/metrics?format=xml"])
def test_an_empty_or_unknown_format_is_a_json_404(read_client, url):
    response = read_client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_the_schema_documents_every_error_an_operation_can_answer(api):
    paths = api.get("/api/schema?format=json").json()["paths"]
    incident = paths["/api/v1/incidents/{id}"]
    assert {"401", "403", "404"} <= set(incident["get"]["responses"])
    assert {"400", "401", "403", "404", "415"} <= set(incident["patch"]["responses"])
    assert {"400", "413", "415", "429"} <= set(paths["/api/v1/events"]["post"]["responses"])
    assert list(paths["/api/v1/events"]["post"]["requestBody"]["content"]) == \
        ["application/json"]
    assert "404" in paths["/api/v1/rpc/active"]["get"]["responses"]
    assert set(paths["/metrics"]["get"]["responses"]["200"]["content"]) == \
        {"application/json", "text/plain"}
    assert [p["name"] for p in paths["/api/v1/action-items/{id}"]["patch"]["parameters"]] \
        == ["id"]


@pytest.mark.parametrize(("error", "body"), [
    (DjangoValidationError({"url": ["Enter a valid URL."], "name": "taken"}),
     {"url": ["Enter a valid URL."], "name": ["taken"]}),
    (DjangoValidationError(["first", "second"]), {"detail": ["first", "second"]}),
    (DjangoValidationError("one message"), {"detail": ["one message"]}),
])
def test_a_django_validation_error_from_a_service_is_a_400_with_its_messages(
        write_client, monkeypatch, error, body):
    def refuse(**kwargs):
        raise error

    monkeypatch.setattr(rpc, "rpc_endpoint_create", refuse)
    response = write_client.post("/api/v1/rpc/endpoints", {
        "name": "backup", "url": "https://rpc.example.org", "priority": 1}, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == body
    assert not RpcEndpoint.objects.exists()


def test_the_handler_converts_a_django_validation_error_itself():
    response = api_exception_handler(DjangoValidationError({"name": ["taken"]}),
                                     {"request": None, "view": None})
    assert response.status_code == 400
    assert response.data == {"name": ["taken"]}
