"""Shared set-up for the benchmarks: the bench database, Django, a real gunicorn."""

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/opsportal_bench"


def bench_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        name = parts.path.lstrip("/")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(url: str | None = None) -> str:
    """Point Django at the bench database (created and migrated); -> its URL."""
    url = url or bench_url()
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(*, workers: int = 2, url: str | None = None, ready_paths=("/health",), **env_extra):
    """A real gunicorn on the bench database (or `url`), up once every one of
    `ready_paths` answers; yields its port. `env_extra` adds environment variables."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url or bench_url(), DEBUG="0",
               # measure throughput, not the rate limits (bench_health_flood.py wants
               # /health's: it passes HEALTH_RATE_LIMIT)
               INGEST_RATE_LIMIT="0", HEALTH_RATE_LIMIT="0",
               # Formatted as in production, not printed into the benchmark's output.
               GUNICORN_ACCESS_LOG=os.devnull)
    env.update({k: str(v) for k, v in env_extra.items()})
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "opsportal.wsgi", "--bind",
         f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                for path in ready_paths:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request("GET", path)
                    conn.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(20)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[int(0.95 * (len(ordered) - 1))]


def result(name: str, value: float, target: str, detail: str) -> None:
    """One line run.py collects."""
    print(f"RESULT\t{name}\t{value:.3f}\t{target}\t{detail}", flush=True)
