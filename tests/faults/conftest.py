"""The portal as deployed (real gunicorn workers), with PostgreSQL and Redis behind
fault proxies (tests/fault_proxy.py) that the tests switch to `refuse` or `hang`.

Needs the real PostgreSQL and Redis on loopback (CI starts both). The database is
the tests' own, created and migrated here and dropped afterwards, whatever the
suite's DATABASE_URL: the proxy must sit between the portal and it.
"""

import concurrent.futures
import dataclasses
import datetime
import json
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import psutil
import psycopg
import pytest

from tests.fault_proxy import FaultProxy
from tests.processes import ROOT, child_env, free_port, start, stop, wait_for

PG = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
WORKERS = 2
# Short on purpose: each bound is asserted, and the tests wait through it.
TIMEOUTS = {"DB_CONNECT_TIMEOUT": 2, "DB_QUERY_TIMEOUT": 2, "CACHE_TIMEOUT": 0.5}
# The Redis database of the fault tests' Celery broker (broker=True).
BROKER_DB = 13
# Over this, a request waited on a dependency with no bound: any answer is a failure.
DB_BOUND = TIMEOUTS["DB_CONNECT_TIMEOUT"] + TIMEOUTS["DB_QUERY_TIMEOUT"] + 1.5


def _reachable(addr) -> bool:
    try:
        with socket.create_connection(addr, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def fault_database(tmp_path_factory):
    """A migrated PostgreSQL database of the fault tests' own -> (url, name, ingest token)."""
    missing = [name for name, addr in (("PostgreSQL", PG), ("Redis", REDIS))
               if not _reachable(addr)]
    if missing:
        message = f"fault tests need {' and '.join(missing)} on 127.0.0.1"
        if os.environ.get("REQUIRE_FAULT_TESTS"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"opsportal_faults_{secrets.token_hex(4)}"
    url = f"postgres://postgres@{PG[0]}:{PG[1]}/{name}"
    with psycopg.connect(host=PG[0], port=PG[1], user="postgres", dbname="postgres",
                         autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = child_env(tmp_path_factory.mktemp("faults-setup"), DATABASE_URL=url)
        subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "--noinput",
                        "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
        token = subprocess.run(
            [str(ROOT / ".venv/bin/python"), "manage.py", "shell", "-c",
             "from accounts.services import api_token_create; "
             "print(api_token_create(name='faults', scopes=['ingest'])[1])"],
            cwd=ROOT, env=env, check=True, timeout=60, capture_output=True,
            text=True).stdout.strip().splitlines()[-1]
        yield url, name, token
    finally:
        with psycopg.connect(host=PG[0], port=PG[1], user="postgres", dbname="postgres",
                             autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclasses.dataclass
class Answer:
    status: int  # 0: no HTTP answer at all (connection reset, timeout)
    headers: dict
    text: str
    elapsed: float

    def json(self):
        return json.loads(self.text)


class Portal:
    """gunicorn serving the portal, its database and cache reached through fault proxies."""

    def __init__(self, base: str, proc, pg: FaultProxy, redis: FaultProxy | None,
                 db_name: str, token: str, env: dict):
        self.base, self.proc, self.pg, self.redis = base, proc, pg, redis
        self.db_name, self.token, self.env = db_name, token, env

    def request(self, method: str, path: str, body=None, headers=None, form=None,
                timeout: float = 30) -> Answer:
        if form is not None:
            data, kind = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
        else:
            data, kind = json.dumps(body).encode() if body is not None else None, "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": kind, **(headers or {})})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, hdrs, raw = resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            status, hdrs, raw = exc.code, dict(exc.headers), exc.read()
        except OSError as exc:
            status, hdrs, raw = 0, {}, str(exc).encode()
        return Answer(status, hdrs, raw.decode(errors="replace"), time.monotonic() - started)

    def ingest(self, ids: list[str]) -> Answer:
        now = datetime.datetime.now(datetime.UTC).isoformat()
        events = [{"id": i, "type": "trade", "ts": now, "success": True, "via": "bags",
                   "confirmation_ms": 500, "take_profit_pct": 20, "stop_loss_pct": 10}
                  for i in ids]
        return self.request("POST", "/api/v1/events", {"events": events},
                            {"Authorization": f"Bearer {self.token}"})

    def concurrently(self, calls) -> list[Answer]:
        with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
            return list(pool.map(lambda call: call(), calls))

    def health(self) -> Answer:
        return self.request("GET", "/health")

    def worker_pids(self) -> set[int]:
        return {p.pid for p in psutil.Process(self.proc.pid).children()}

    def stored(self, ids: list[str]) -> int:
        """How many of these event ids are stored, counted directly, not through the proxy."""
        with psycopg.connect(host=PG[0], port=PG[1], user="postgres",
                             dbname=self.db_name) as conn:
            return conn.execute("SELECT count(*) FROM monitoring_event WHERE id = ANY(%s)",
                                [ids]).fetchone()[0]


@pytest.fixture
def portal(fault_database, tmp_path):
    """portal(cache=False|True, broker=False|True, **env) -> a Portal. With cache=True
    CACHE_URL is Redis via a proxy; broker=True makes the same proxied Redis the Celery
    broker (a database of its own). `env` overrides the portal's environment."""
    url, name, token = fault_database
    started = []

    def serve(*, cache: bool = False, broker: bool = False, **env) -> Portal:
        pg = FaultProxy(PG[1])
        redis = FaultProxy(REDIS[1]) if cache or broker else None
        started.extend(p for p in (pg, redis) if p)
        port = free_port()
        extra = {"DATABASE_URL": url.replace(f":{PG[1]}/", f":{pg.port}/"),
                 "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": WORKERS,
                 "BACKUP_DIR": tmp_path / "backups", "LOG_FORMAT": "plain",
                 # No beat runs here: /health runs its checks live instead of serving
                 # a state the background refresher would have stored.
                 "HEALTH_STALE_SECONDS": 1, **TIMEOUTS}
        if cache:
            # A key prefix of its own: the shared Redis may serve other tests meanwhile.
            extra["CACHE_URL"] = (f"redis://127.0.0.1:{redis.port}/0"
                                  f"?key_prefix=faults-{secrets.token_hex(4)}")
        if broker:
            # Not the database other suites' workers read their queue from.
            extra["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{redis.port}/{BROKER_DB}"
        extra.update(env)
        log = tmp_path / "gunicorn.log"
        environment = child_env(tmp_path, **extra)
        proc = start([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py",
                      "opsportal.wsgi"], environment, log)
        started.append(proc)
        p = Portal(f"http://127.0.0.1:{port}", proc, pg, redis, name, token, environment)
        # Not /health: its answer would be remembered, and outlive the fault, for 5 s.
        wait_for(lambda: proc.poll() is not None or len(p.worker_pids()) == WORKERS
                 and p.request("GET", "/admin/login/", timeout=5).status == 200, 60,
                 what="gunicorn")
        assert proc.poll() is None, log.read_text()
        return p

    yield serve
    for thing in reversed(started):
        if isinstance(thing, FaultProxy):
            thing.close()
        else:
            stop(thing)
