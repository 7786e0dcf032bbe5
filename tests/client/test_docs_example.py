"""docs/client.md's examples run as written (the portal's address, the token and the
queue file swapped for a local server's and a temporary file)."""

import re

import pytest

from tests.client.fake_portal import FakePortal
from tests.processes import ROOT

pytestmark = pytest.mark.realclock
DOC = (ROOT / "docs" / "client.md").read_text()
PYTHON = re.findall(r"```python\n(.*?)```", DOC, re.S)


def test_the_five_line_integration_example_delivers_its_trade(tmp_path):
    example = PYTHON[0]
    assert len(example.strip().splitlines()) <= 6  # five statements, one wrapped
    with FakePortal() as server:
        code = (example.replace('"https://ops.example.com"', repr(server.url))
                .replace('"/var/lib/bot/opsportal.sqlite3"', repr(str(tmp_path / "q.sqlite3"))))
        namespace = {"token": "tok"}
        exec(compile(code, "docs/client.md", "exec"), namespace)  # noqa: S102
        assert namespace["portal"].stats()["queued"] == 0  # close() delivered it
    [event] = server.stored.values()
    assert (event["type"], event["via"], event["partner_fee_sol"]) == ("trade", "bags", "0.0125")


def test_the_metrics_collector_example_is_a_one_import_change(tmp_path, monkeypatch):
    with FakePortal() as server:
        monkeypatch.setenv("OPSPORTAL_URL", server.url)
        monkeypatch.setenv("OPSPORTAL_TOKEN", "tok")
        monkeypatch.setenv("OPSPORTAL_QUEUE", str(tmp_path / "q.sqlite3"))
        namespace = {"success": True, "via": "jupiter", "elapsed_ms": 512}
        exec(compile(PYTHON[1], "docs/client.md", "exec"), namespace)  # noqa: S102
        portal = namespace["metrics"].portal
        assert portal.flush(timeout=10)
        portal.close()
    [event] = server.stored.values()
    assert (event["via"], event["confirmation_ms"]) == ("jupiter", 512)
    assert namespace["metrics"].get_metrics()["trades_24h"] == 1
