import shutil
from contextlib import contextmanager

import pytest
import redis

from tests.processes import ROOT, child_env, free_port, start, stop, wait_for


def _ping(port):
    # The redis client, not redis-cli: redis-cli hangs under libfaketime (CI's
    # shifted-clock run), and a bounded socket keeps a wedged server from hanging us.
    try:
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=2).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def redis_port(tmp_path):
    """A private Redis (broker and cache) for a production-shaped child process."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    port = free_port()
    proc = start(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                  "--appendonly", "no", "--dir", str(tmp_path)], {}, tmp_path / "redis.log")
    try:
        wait_for(lambda: _ping(port), 15, what="redis")
        yield port
    finally:
        stop(proc)


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn(**env) -> base URL of the portal served by a real gunicorn on loopback."""

    @contextmanager
    def serve(**extra):
        port = free_port()
        env = child_env(tmp_path, GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=1,
                        BACKUP_DIR=tmp_path / "backups", **extra)
        proc = start([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py",
                      "opsportal.wsgi"], env, tmp_path / f"gunicorn-{port}.log")
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: _listening(port) or proc.poll() is not None, 60, what="gunicorn")
            assert proc.poll() is None, (tmp_path / f"gunicorn-{port}.log").read_text()
            yield base
        finally:
            stop(proc)

    return serve


def _listening(port):
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
