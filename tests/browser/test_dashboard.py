import datetime

import pytest
from django.utils import timezone

from monitoring.models import MetricSnapshot, UptimeSample
from tests.monitoring.events import ev, ingest, trade

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_open_the_health_dashboard_from_the_admin_index(page, login, live_server, viewer):
    now = timezone.now()
    ingest([trade(now, confirmation_ms=700), ev("ws_status", now, connected=True)])
    for hours in range(5):
        MetricSnapshot.objects.create(
            taken_at=now - datetime.timedelta(hours=hours), data={},
            trades_per_hour=10 + hours, error_rate=0.01 * hours, confirmation_p95_ms=800)
    for days in range(3):
        UptimeSample.objects.create(minute=now - datetime.timedelta(days=days),
                                    status="healthy", up=True)
    login(viewer, "pw-viewer")
    page.get_by_role("link", name="Health dashboard").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
    assert page.locator("#overall-status").inner_text() in ("healthy", "degraded")
    database = page.locator('[data-component="database"]')
    assert "green" in database.get_attribute("class")
    scheduler = page.locator('[data-component="scheduler"]')
    assert "amber" in scheduler.get_attribute("class")  # no worker in this test: non-critical
    assert "Trades, 24 h\n1" in page.locator("#kpis").inner_text()
    assert page.locator("svg polyline").count() >= 3
    assert page.locator("svg[aria-label='Trades per hour'] circle").count() == 5
    bars = page.locator("#uptime-bar span")
    assert bars.count() == 30
    assert page.locator("#uptime-bar span.green").count() == 3
    box = page.locator("svg[aria-label='Error rate']").bounding_box()
    assert box["width"] > 100 and box["height"] > 50
