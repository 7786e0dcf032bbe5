"""Start the portal's real processes (gunicorn, Celery worker and beat) for tests."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database pytest-django created, for child processes."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def child_env(tmp_path, **extra) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_DIR": str(tmp_path / "broker"),
        "PYTHONUNBUFFERED": "1",
        "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
    })
    env.pop("CELERY_BROKER_URL", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll until predicate() is truthy; its value, or AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen, sig=signal.SIGINT, timeout: float = 20) -> list[int]:
    """Signal the process, wait, and return the pids of descendants still alive."""
    try:
        descendants = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    _, alive = psutil.wait_procs(descendants, timeout=5)
    for p in alive:
        p.kill()
    return [p.pid for p in alive]
