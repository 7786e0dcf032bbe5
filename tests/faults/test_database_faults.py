"""PostgreSQL refuses, then hangs: the portal answers 503 in time, /health names the
database, acknowledged events survive, and every worker serves again afterwards."""

import re
import uuid

import pytest

from tests.faults.conftest import DB_BOUND, WORKERS
from tests.processes import wait_for

pytestmark = [pytest.mark.fault, pytest.mark.slow]


def _health_names(portal, component: str, *, ok: bool):
    def check():
        answer = portal.health()
        # /health serves a state kept in memory or read within its budget, never live waits.
        assert answer.elapsed < 1.5, answer
        assert answer.status in (200, 503), answer
        check = answer.json()["checks"].get(component)
        if ok:
            return answer if answer.status == 200 and check and check["ok"] else None
        return answer if answer.status == 503 and check and not check["ok"] else None

    return wait_for(check, 12, interval=0.3, what=f"/health: {component} ok={ok}")


def _login_form(portal) -> dict:
    """The admin login form's CSRF cookie and token, fetched while the portal is healthy."""
    answer = portal.request("GET", "/admin/login/")
    cookie = re.search(r"csrftoken=([^;]+)", answer.headers.get("Set-Cookie", "")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.text).group(1)
    return {"headers": {"Cookie": f"csrftoken={cookie}"},
            "form": {"csrfmiddlewaretoken": token, "username": "nobody", "password": "x"}}


def _assert_unavailable(answer, *, bound: float, json_body: bool = True):
    assert answer.status == 503, answer
    assert answer.elapsed < bound, answer
    assert answer.headers.get("Retry-After"), answer
    assert "Traceback" not in answer.text and "postgres://" not in answer.text, answer
    if json_body:
        assert "unavailable" in answer.json()["detail"], answer
    else:
        assert answer.headers["Content-Type"].startswith("text/plain"), answer
        assert "unavailable" in answer.text, answer


@pytest.mark.parametrize("mode", ["refuse", "hang"])
def test_the_database_refuses_or_hangs(portal, mode):
    p = portal()
    before = [f"db-{mode}-before-{i}" for i in range(40)]
    # Acknowledged before the fault, concurrently: every worker holds an open connection,
    # which is the one a hang catches mid-query.
    acked = p.concurrently([lambda chunk=before[i::4]: p.ingest(chunk) for i in range(4)])
    assert [a.status for a in acked] == [202] * 4, acked
    workers = p.worker_pids()
    login = _login_form(p)

    p.pg.set_mode(mode)
    _health_names(p, "database", ok=False)
    during = [f"db-{mode}-during-{i}" for i in range(10)]
    # More requests than workers: each answers 503 within its bound, queued ones within
    # their turn's; none waits for gunicorn's 30 s timeout to kill a worker.
    answers = p.concurrently([lambda: p.ingest(during)] * (2 * WORKERS))
    for answer in answers:
        _assert_unavailable(answer, bound=2 * DB_BOUND)
    _assert_unavailable(p.request("GET", f"/ping/{uuid.uuid4()}"), bound=DB_BOUND)
    # Outside the API the answer is a plain 503 page (here: the admin login's user lookup).
    _assert_unavailable(p.request("POST", "/admin/login/", **login), bound=DB_BOUND,
                        json_body=False)

    p.pg.set_mode("pass")
    _health_names(p, "database", ok=True)
    assert p.stored(before) == len(before)  # everything acknowledged before the fault
    assert p.stored(during) == 0  # nothing of the refused batches half-written
    again = p.ingest(during)
    assert again.status == 202 and again.json() == {"accepted": 10, "duplicates": 0}, again
    # Every worker serves promptly again, and none was killed and replaced on the way.
    replays = p.concurrently([lambda: p.ingest(before)] * (2 * WORKERS))
    for answer in replays:
        assert answer.status == 202 and answer.elapsed < 2, answer
        assert answer.json() == {"accepted": 0, "duplicates": len(before)}, answer
    assert p.stored(before + during) == len(before) + len(during)
    assert p.worker_pids() == workers
