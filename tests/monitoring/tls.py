"""A test CA (trustme) and HTTPS servers on 127.0.0.1 with certificates of chosen lifetimes."""

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
import trustme

from tests.servers import RecordingServer


@pytest.fixture
def test_ca(tmp_path, settings):
    """A CA the probes trust (PROBE_CA_BUNDLE), so certificate verification is real."""
    ca = trustme.CA()
    bundle = tmp_path / "probe-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    settings.PROBE_CA_BUNDLE = str(bundle)
    return ca


def leaf(ca, *, days_left: float):
    """A certificate for 127.0.0.1 expiring `days_left` days from now (negative: expired)."""
    now = datetime.now(UTC)
    not_after = now + timedelta(days=days_left)
    return ca.issue_cert("127.0.0.1", "localhost",
                         not_before=min(now, not_after) - timedelta(days=30),
                         not_after=not_after)


@contextlib.contextmanager
def https_server(ca, *, days_left: float, respond=None):
    with RecordingServer(respond=respond, tls_cert=leaf(ca, days_left=days_left)) as server:
        yield server
