"""A token sent in the query string never reaches a log, on a real gunicorn.

The API reads only the Authorization header, so `?token=` is refused with a 401, but
the request line is still logged: by gunicorn's access log and by Django's
django.request warning (whose JSON record carries the full path).
"""

import secrets

import pytest
import requests

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_a_token_in_the_query_string_is_masked_in_gunicorns_and_djangos_logs(
        gunicorn, make_token, tmp_path, log_format):
    leaked = {f"SECRET{secrets.token_hex(8)}" for _ in range(4)}
    token_in_query, api_key, access_token, password = sorted(leaked)
    real_token = make_token("read")  # a real one, valid, in the wrong place
    leaked.add(real_token.split("_", 2)[2])
    access_log = tmp_path / "access.log"
    with gunicorn(GUNICORN_ACCESS_LOG=access_log, LOG_FORMAT=log_format) as base:
        paths = [f"/metrics?token={token_in_query}",
                 f"/api/v1/alerts?token={token_in_query}",
                 f"/api/v1/alerts?limit=5&api-key={api_key}&access_token={access_token}",
                 f"/api/v1/incidents?password={password}",
                 f"/metrics?token={real_token}"]
        for path in paths:
            response = requests.get(base + path, timeout=10)
            assert response.status_code == 401, (path, response.text)
        # A real header with the token in the query as well: the query is still masked.
        response = requests.get(f"{base}/api/v1/alerts?token={real_token}", timeout=10,
                                headers={"Authorization": f"Bearer {real_token}"})
        assert response.status_code == 200
    access = access_log.read_text()
    error_and_stdout = "".join(p.read_text() for p in tmp_path.glob("gunicorn-*.log"))
    # The requests were logged (so the check below is not vacuous), masked.
    assert access.count("/metrics") == 2 and access.count("/api/v1/alerts") == 3, access
    assert "token=********" in access and "api-key=********" in access
    assert "limit=5" in access  # harmless parameters are kept
    assert "Unauthorized: /api/v1/alerts" in error_and_stdout, error_and_stdout
    if log_format == "json":
        assert "?token=********" in error_and_stdout  # django.request's `request` field
    for where, text in {"access log": access, "error log and stdout": error_and_stdout}.items():
        found = [value for value in leaked if value in text]
        assert not found, f"{where} contains {found}:\n{text}"
