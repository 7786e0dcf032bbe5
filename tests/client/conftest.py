"""The client package lives beside the portal, not in it: put it on sys.path
(the tests also check that it installs with pip: test_package.py)."""

import sys
from contextlib import contextmanager

import pytest

from tests.processes import ROOT, child_env, free_port, start, stop, wait_for

CLIENT_DIR = ROOT / "clients" / "python"
if str(CLIENT_DIR) not in sys.path:
    sys.path.insert(0, str(CLIENT_DIR))


def _listening(port):
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn(port) -> base URL of a real gunicorn serving the portal on the test
    database; the context's exit (or a SIGKILL by the test) stops it."""

    @contextmanager
    def serve(port=None, **extra):
        port = port or free_port()
        log = tmp_path / f"gunicorn-{port}-{len(list(tmp_path.glob('gunicorn-*')))}.log"
        env = child_env(tmp_path, **{"GUNICORN_BIND": f"127.0.0.1:{port}",
                                     "WEB_CONCURRENCY": 2, "BACKUP_DIR": tmp_path / "backups",
                                     "INGEST_RATE_LIMIT": "0", "PYTHONPATH": ROOT, **extra})
        proc = start([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py",
                      "opsportal.wsgi"], env, log)
        try:
            wait_for(lambda: _listening(port) or proc.poll() is not None, 60, what="gunicorn")
            assert proc.poll() is None, log.read_text()
            yield proc, f"http://127.0.0.1:{port}", port
        finally:
            if proc.poll() is None:
                stop(proc)

    return serve
