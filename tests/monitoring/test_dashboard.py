import datetime

import pytest
from django.http import HttpRequest
from django.utils import timezone

from monitoring.charts import line_chart
from monitoring.models import MetricSnapshot, UptimeSample
from monitoring.selectors.dashboard import dashboard_hourly_series, dashboard_uptime_days

pytestmark = pytest.mark.django_db

H = datetime.timedelta(hours=1)


def test_hourly_series_take_each_hours_last_snapshot():
    now = timezone.now().replace(minute=30)
    for minutes, trades in ((-70, 3), (-40, 5), (-10, 8)):
        MetricSnapshot.objects.create(taken_at=now + datetime.timedelta(minutes=minutes),
                                      data={}, trades_per_hour=trades, error_rate=0.1)
    series = dashboard_hourly_series(now=now)
    assert len(series["hours"]) == 24 and series["hours"][-1] == now.replace(minute=0, second=0,
                                                                             microsecond=0)
    assert series["trades_per_hour"][-2:] == [5, 8]
    assert series["trades_per_hour"][:-2] == [None] * 22


def test_uptime_days_cover_thirty_days_with_gaps_as_none():
    now = timezone.now()
    UptimeSample.objects.create(minute=now, status="healthy", up=True)
    UptimeSample.objects.create(minute=now - datetime.timedelta(minutes=1),
                                status="unhealthy", up=False)
    days = dashboard_uptime_days(now=now)
    assert len(days) == 30 and days[-1]["day"] == now.date()
    assert days[-1]["up_ratio"] == 0.5 and days[-1]["samples"] == 2
    assert days[0]["up_ratio"] is None


def test_line_chart_breaks_at_missing_values():
    chart = line_chart([1, 2, None, 4], labels=["a", "b", "c", "d"])
    assert len(chart["segments"]) == 2 and chart["max"] == 4 and not chart["empty"]
    assert line_chart([None, None], labels=["a", "b"])["empty"]


def test_the_dashboard_needs_a_staff_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_dashboard_renders_for_staff_and_is_linked_from_the_admin_index(client, viewer):
    MetricSnapshot.objects.create(taken_at=timezone.now() - H, data={}, trades_per_hour=4,
                                  error_rate=0.25, confirmation_p95_ms=900)
    client.login(request=HttpRequest(), username="viewer", password="pw-viewer")
    assert b'href="/dashboard/"' in client.get("/admin/").content
    page = client.get("/dashboard/").content.decode()
    assert "Health dashboard" in page and "<svg" in page and 'id="uptime-bar"' in page
    assert 'data-component="database"' in page
