import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from monitoring.models import Baseline, MeasurementRollup, PerformanceRegression
from monitoring.perf_recorder import recorder
from monitoring.selectors.performance import (
    TRADE_CONFIRMATION,
    performance_current,
    performance_metric_values,
    performance_regression_lines,
)
from monitoring.services.performance import (
    BaselineError,
    baseline_establish,
    measurement_rollups_merge,
    measurement_rollups_prune,
    performance_regressions_check,
)
from monitoring.sketch import LogHistogram
from opsportal.minute import monitor_pass
from tests.monitoring.events import ingest, trade

pytestmark = pytest.mark.django_db
M = datetime.timedelta(minutes=1)
H = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def now():
    return timezone.now().replace(second=30, microsecond=0)


def put(name: str, when: datetime.datetime, values) -> None:
    hist = LogHistogram()
    for v in values:
        hist.add(v)
    minute = int((when - _EPOCH).total_seconds() // 60) * 60
    measurement_rollups_merge(pending={(name, minute): hist})


def test_a_baseline_holds_the_percentiles_of_a_known_latency_set(now):
    # 1..100 ms spread over two minutes two hours ago: p50 = 50, p95 = 95, p99 = 99 (±1 %).
    put("http.health", now - 2 * H, range(1, 51))
    put("http.health", now - 2 * H + M, range(51, 101))
    put("http.health", now - 2 * DAY, [5000] * 10)  # outside the 24 h window
    b = baseline_establish(measurement="http.health", now=now)
    assert b.samples == 100
    assert b.p50 == pytest.approx(50, rel=0.01)
    assert b.p95 == pytest.approx(95, rel=0.01)
    assert b.p99 == pytest.approx(99, rel=0.01)
    assert b.active and b.version == "1.0.0"
    assert b.window_end - b.window_start == DAY


def test_hour_rollups_add_up_flushes_of_the_same_minute(now):
    put("db_query_ms", now, [1, 2])
    put("db_query_ms", now, [3])
    minute = MeasurementRollup.objects.get(measurement="db_query_ms", seconds=60)
    hour = MeasurementRollup.objects.get(measurement="db_query_ms", seconds=3600)
    assert minute.count == hour.count == 3


def test_minute_and_hour_rollups_are_pruned_each_past_its_retention(now, settings):
    settings.PERF_MINUTE_RETENTION_DAYS, settings.PERF_HOUR_RETENTION_DAYS = 8, 90
    put("http.health", now - 9 * DAY, [1])      # minute row gone, hour row kept
    put("http.health", now - 91 * DAY, [1])     # both gone
    put("http.health", now - H, [1])            # both kept
    assert measurement_rollups_prune(now=now) == 3
    left = sorted(MeasurementRollup.objects.values_list("seconds", "count"))
    assert left == [(60, 1), (3600, 1), (3600, 1)]


def test_a_new_baseline_replaces_the_active_one(now, settings):
    settings.DEPLOY_ID = "deploy-42"
    put("http.health", now - H, [10] * 50)
    first = baseline_establish(measurement="http.health", now=now, threshold_pct=50)
    second = baseline_establish(measurement="http.health", now=now)
    first.refresh_from_db()
    assert not first.active and second.active
    assert second.version == "deploy-42"
    assert second.regression_threshold_pct == 50  # the per-measurement knob carries over
    assert Baseline.objects.filter(measurement="http.health", active=True).count() == 1


def test_the_database_refuses_two_active_baselines_for_one_measurement(now):
    put("http.health", now - H, [10])
    b = baseline_establish(measurement="http.health", now=now)
    b.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        b.save()


def test_it_refuses_a_baseline_without_samples(now):
    with pytest.raises(BaselineError, match="no samples of http.health"):
        baseline_establish(measurement="http.health", now=now)
    assert not Baseline.objects.exists()


def test_trade_confirmation_baselines_come_from_trade_events(now):
    ingest([trade(now - 3 * H + i * datetime.timedelta(seconds=1), confirmation_ms=ms)
            for i, ms in enumerate(range(100, 1100, 10))])
    b = baseline_establish(measurement=TRADE_CONFIRMATION, now=now)
    assert b.samples == 100
    assert b.p95 == pytest.approx(1040, rel=0.01)


def _baseline_of_100ms(now, **knobs):
    put("http.metrics", now - 3 * H, [100] * 100)
    return baseline_establish(measurement="http.metrics", now=now - 2 * H, **knobs)


def test_a_p95_30_percent_worse_with_enough_samples_is_a_regression(now):
    b = _baseline_of_100ms(now)
    put("http.metrics", now - 5 * M, [130] * 40)
    lines = performance_regressions_check(now=now)
    reg = PerformanceRegression.objects.get()
    assert (reg.measurement, reg.baseline, reg.samples) == ("http.metrics", b, 40)
    assert reg.ratio == pytest.approx(1.3, rel=0.02)
    assert reg.current_p95 == pytest.approx(130, rel=0.01)
    assert "http.metrics p95 129" in lines[0] and "×1.29" in lines[0]
    values = performance_metric_values(now=now)
    assert values["perf_regressions"] == 1
    assert values["perf_p95_ratio.http.metrics"] == pytest.approx(1.3, rel=0.02)
    (line,) = performance_regression_lines()
    assert line.startswith("http.metrics: p95 129.2 vs baseline 99.9 (1.0.0, ")
    assert "ratio ×1.29, 40 samples" in line
    # Still regressed a pass later: the same row, no second one.
    performance_regressions_check(now=now + M)
    assert PerformanceRegression.objects.get().last_seen_at == now + M


def test_15_percent_worse_is_within_the_default_20_percent(now):
    _baseline_of_100ms(now)
    put("http.metrics", now - 5 * M, [115] * 40)
    assert performance_regressions_check(now=now) == []
    assert not PerformanceRegression.objects.exists()


def test_too_few_samples_raise_no_alert(now):
    _baseline_of_100ms(now)
    put("http.metrics", now - 5 * M, [300] * 29)  # min_samples is 30
    assert performance_regressions_check(now=now) == []
    current = performance_current(now=now)["http.metrics"]
    assert current["ratio"] == pytest.approx(3, rel=0.02) and not current["regressed"]


def test_the_threshold_is_per_measurement(now):
    _baseline_of_100ms(now, threshold_pct=50)
    put("http.metrics", now - 5 * M, [130] * 40)
    assert performance_regressions_check(now=now) == []


def test_a_regression_resolves_when_p95_is_back(now):
    _baseline_of_100ms(now)
    put("http.metrics", now - 5 * M, [130] * 40)
    performance_regressions_check(now=now)
    later = now + 30 * M
    put("http.metrics", later - 5 * M, [100] * 40)
    assert performance_regressions_check(now=later) == ["performance regression over: http.metrics"]
    assert PerformanceRegression.objects.get().resolved_at == later


def test_the_middleware_times_each_route_by_name(client, settings):
    settings.PERF_FLUSH_SECONDS = 3600
    client.get("/health")
    client.get("/health")
    client.get("/no-such-page")  # unresolved: not a measurement
    pending = recorder.drain()
    counts = {name: h.count for (name, _), h in pending.items()}
    assert counts["http.health"] == 2
    assert not any("no-such" in name for name in counts)


def test_the_middleware_flushes_to_rollups_when_the_interval_passed(client, settings):
    settings.PERF_FLUSH_SECONDS = 0
    settings.DB_QUERY_SAMPLE_RATE = 0  # else the flush's own queries may wait for the next
    client.get("/health")
    row = MeasurementRollup.objects.get(measurement="http.health", seconds=60)
    assert row.count == 1 and LogHistogram.from_json(row.data).quantile(0.5) > 0
    assert recorder.drain() == {}


def test_query_times_are_sampled_at_the_configured_rate(client, settings, portal_admin):
    settings.PERF_FLUSH_SECONDS = 3600
    settings.DB_QUERY_SAMPLE_RATE = 1.0
    client.force_login(portal_admin)
    client.get("/admin/")
    timed = sum(h.count for (name, _), h in recorder.drain().items() if name == "db_query_ms")
    assert timed >= 2  # session and user lookups at least
    settings.DB_QUERY_SAMPLE_RATE = 0.0
    client.get("/admin/")
    assert not any(name == "db_query_ms" for name, _ in recorder.drain())


def test_a_failed_flush_keeps_the_samples(settings):
    recorder.add("http.health", 5.0)
    recorder.add("http.health", -1)  # stored as a zero, never an error
    pending = recorder.drain()
    recorder.restore(pending)
    assert sum(h.count for h in recorder.drain().values()) == 2


def test_the_monitor_pass_samples_cpu_and_memory(now):
    lines = monitor_pass(now=now)
    assert any(line.startswith("performance: process cpu") for line in lines)
    names = set(MeasurementRollup.objects.filter(seconds=60).values_list("measurement", flat=True))
    assert {"process_cpu_pct", "process_rss_mb", "host_cpu_pct", "host_mem_pct"} <= names
    rss = MeasurementRollup.objects.get(measurement="process_rss_mb", seconds=60)
    assert LogHistogram.from_json(rss.data).quantile(0.5) > 10  # MiB: a Python process


def test_the_command_establishes_baselines_and_fails_on_a_bad_window(now, capsys):
    put("http.health", timezone.now() - 2 * H, [10] * 5)
    call_command("baseline", "establish", "--window", "24h", "--measurement", "http.health")
    assert "baseline http.health: p50 10" in capsys.readouterr().out
    with pytest.raises(CommandError, match="bad --window"):
        call_command("baseline", "establish", "--window", "soon")
    with pytest.raises(CommandError, match="unknown measurement"):
        call_command("baseline", "establish", "--measurement", "nope")
    with pytest.raises(CommandError, match="no baseline established"):
        call_command("baseline", "establish", "--window", "1m",
                     "--measurement", TRADE_CONFIRMATION)


def test_the_performance_page_shows_baseline_current_and_a_baseline_line(client, portal_admin):
    now = timezone.now()
    put("http.metrics", now - 3 * H, [100] * 100)
    baseline_establish(measurement="http.metrics", now=now - 2 * H)
    put("http.metrics", now - M, [130] * 40)
    performance_regressions_check(now=now)
    assert client.get("/performance/").status_code == 302  # staff only
    client.force_login(portal_admin)
    html = client.get("/performance/").content.decode()
    row = html[html.index('data-measurement="http.metrics"'):]
    row = row[:row.index("</tr>")]
    assert "99.89" in row and "×1.29" in row and 'class="regressed"' in row
    assert 'class="baseline-line"' in row and "<polyline" in row
    assert 'id="open-regressions"' in html
    assert 'data-measurement="trade_confirmation_ms"' in html
    assert 'href="/performance/"' in client.get("/admin/").content.decode()


def test_metrics_carries_performance_in_json_and_prometheus(read_client):
    now = timezone.now()
    put("http.metrics", now - 3 * H, [100] * 100)
    baseline_establish(measurement="http.metrics", now=now - 2 * H)
    put("http.metrics", now - M, [130] * 40)
    perf = read_client.get("/metrics").json()["performance"]["http.metrics"]
    assert perf["baseline_p95"] == pytest.approx(100, rel=0.01)
    assert perf["ratio"] == pytest.approx(1.3, rel=0.02) and perf["regressed"]
    text = read_client.get("/metrics", HTTP_ACCEPT="text/plain").content.decode()
    assert 'opsportal_perf_p95_ratio{measurement="http.metrics"} 1.29' in text
    assert 'opsportal_perf_baseline_p95{measurement="http.metrics"}' in text


def test_admin_action_establishes_a_baseline_from_rollups(client, portal_admin):
    put("http.health", timezone.now() - H, [7] * 10)
    client.force_login(portal_admin)
    ids = list(MeasurementRollup.objects.filter(seconds=60).values_list("pk", flat=True))
    response = client.post("/admin/monitoring/measurementrollup/",
                           {"action": "_establish", "_selected_action": ids}, follow=True)
    assert "New baseline for http.health" in response.content.decode()
    assert Baseline.objects.get(active=True).p95 == pytest.approx(7, rel=0.01)


def test_queries_outside_requests_are_timed_too(settings):
    settings.DB_QUERY_SAMPLE_RATE = 1.0
    recorder.drain()
    list(Baseline.objects.all())
    assert sum(h.count for (name, _), h in recorder.drain().items() if name == "db_query_ms") == 1


def test_viewers_cannot_establish_baselines(client, viewer):
    put("http.health", timezone.now() - H, [7] * 10)
    client.force_login(viewer)
    ids = list(MeasurementRollup.objects.filter(seconds=60).values_list("pk", flat=True))
    client.post("/admin/monitoring/measurementrollup/",
                {"action": "_establish", "_selected_action": ids}, follow=True)
    assert not Baseline.objects.exists()


def test_baseline_show_prints_current_against_baseline(now, capsys):
    put("http.health", now - 2 * H, [10] * 5)
    baseline_establish(measurement="http.health", now=now)
    call_command("baseline", "show")
    assert "http.health\tp95 -\tbaseline 10.04\tratio -\tsamples 0\n" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_web_workers_flush_in_a_thread_of_their_own(client, settings):
    from monitoring import perf_middleware
    from tests.processes import wait_for

    settings.PERF_FLUSH_SECONDS = 0
    settings.DB_QUERY_SAMPLE_RATE = 0
    perf_middleware.perf_flush_background_set(True)  # as opsportal/wsgi.py does
    try:
        client.get("/health")
        row = wait_for(lambda: MeasurementRollup.objects.filter(
            measurement="http.health", seconds=60).first(), 10, what="the flush thread")
    finally:
        perf_middleware.perf_flush_background_set(False)
        thread = perf_middleware._background["thread"]
        if thread is not None:
            thread.join(10)
    assert row.count == 1
