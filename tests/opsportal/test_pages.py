import pytest

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_and_explorer_are_served_without_auth(client):
    schema = client.get("/api/schema", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    assert "/metrics" in schema.json()["paths"]
    explorer = client.get("/api/docs")
    assert explorer.status_code == 200
    # Swagger UI is served from the sidecar package, not a CDN.
    assert "cdn" not in explorer.content.decode().lower()


def test_the_admin_login_carries_the_portals_name(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "opsportal" in response.content.decode()


def test_an_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
