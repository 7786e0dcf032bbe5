import pytest

from monitoring.services.health import health_memory_clear


@pytest.fixture(autouse=True)
def _forget_health_state():
    # /health keeps the last state in process memory; each test starts from its own DB.
    health_memory_clear()
    yield
    health_memory_clear()
