"""opsportal-client: the trading bot's events and heartbeats to opsportal.

    from opsportal_client import Portal
    portal = Portal("https://ops.example.com", token, queue_path="opsportal.sqlite3")
    portal.trade(success=True, via="bags", confirmation_ms=420)
"""

from opsportal_client.aio import AsyncPortal
from opsportal_client.metrics import MetricsCollector
from opsportal_client.portal import Portal, __version__

__all__ = ["AsyncPortal", "MetricsCollector", "Portal", "__version__"]
