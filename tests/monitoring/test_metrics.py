import datetime
import random

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from monitoring.models import UptimeSample
from monitoring.selectors import metric_sample_counts, metrics_current
from monitoring.sketch import LogHistogram
from tests.monitoring.events import ev, ingest, trade

pytestmark = pytest.mark.django_db

S = datetime.timedelta(seconds=1)
M = datetime.timedelta(minutes=1)
H = datetime.timedelta(hours=1)
KEYS = {
    "timestamp", "trades_24h", "trades_per_hour", "error_rate", "trade_success_rate",
    "tp_triggers_24h", "sl_triggers_24h", "tp_sl_trigger_rate", "bags_share_24h",
    "jupiter_share_24h", "partner_fees_sol_24h", "trades_without_tpsl_24h", "confirmation_ms",
    "demo_success_rate_24h", "vibe_p95_ms_24h", "websocket_connected", "active_rpc",
    "db_pool_utilization", "rate_limit_usage", "uptime_24h", "uptime_30d", "heartbeats_late",
    # Extensions: the bot's degraded share and data start, the portal's own uptime.
    "bot_degraded_24h", "bot_degraded_30d", "uptime_data_since", "portal_uptime_24h",
    "portal_uptime_30d",
    # Alerting's state keys (RPC endpoints, backup freshness).
    "rpc_active_down", "rpc_active_consecutive_failures", "rpc_active_latency_ms",
    "rpc_preferred_consecutive_failures",
    "rpc_endpoints_healthy", "backup_database_stale", "backup_database_age_seconds",
    # Dependency probes, TLS certificates and API keys (issue 18).
    "dependency_down_count", "cert_min_days_left", "certs_expiring_count",
    "api_keys_invalid_count", "dependencies",
    # Positions (issue 21).
    "open_positions", "positions_without_tpsl", "realized_pnl_sol_24h", "sl_streak",
    "daily_loss_sol", "drawdown_sol_24h",
}


@pytest.fixture
def now():
    # Mid-minute, a day back: window edges cut minutes in two and every event is in the past.
    return (timezone.now() - datetime.timedelta(days=1)).replace(second=30, microsecond=0)


def known_events(n):
    return [
        trade(n - H + S, confirmation_ms=100, partner_fee_sol="0.1"),  # hour start edge: in
        trade(n - 30 * M, success=False, via="jupiter", take_profit_pct=None, demo=True),
        trade(n - 10 * S, confirmation_ms=300, demo=True),  # current minute
        trade(n, via="jupiter", confirmation_ms=200),  # exactly now: in
        trade(n - H, confirmation_ms=10000, demo=True),  # exactly an hour ago: day only
        trade(n + S, confirmation_ms=1),  # after now: out
        trade(n - 24 * H, success=False),  # exactly a day ago: out
        trade(n - 24 * H + S, confirmation_ms=50, partner_fee_sol="0.2"),  # day start edge: in
        ev("command", n - 2 * H, name="/vibe", ok=True, duration_ms=1000),
        ev("command", n - 20 * M, name="/vibe", ok=False, duration_ms=3000),
        ev("command", n - 5 * M, name="/demo", ok=True, duration_ms=10),
        ev("tp_trigger", n - 3 * H, trade_id="a"), ev("sl_trigger", n - 10 * M, trade_id="b"),
        ev("tp_trigger", n - 25 * H, trade_id="c"),
        ev("ws_status", n - 2 * M, connected=False), ev("ws_status", n - 50 * S, connected=True),
        ev("ws_status", n + S, connected=False),
        ev("db_pool", n - M, in_use=3, size=12),
        ev("rate_limit", n - 3 * M, api="jupiter", used=50, limit=200),
        ev("rate_limit", n - 2 * M, api="jupiter", used=80, limit=200),
        ev("rate_limit", n - 2 * M, api="helius", used=1, limit=4),
        ev("rpc_status", n - 5 * M, endpoint="helius", ok=True, latency_ms=30),
        ev("rpc_status", n - M, endpoint="triton", ok=False),
    ]


def test_it_computes_every_contract_number_exactly_for_a_known_event_set(now):
    ingest(known_events(now))
    body = metrics_current(now=now)
    assert set(body) == KEYS
    confirmation = body.pop("confirmation_ms")
    vibe = body.pop("vibe_p95_ms_24h")
    assert body == {
        "timestamp": now.isoformat(),
        "trades_24h": 6, "trades_per_hour": 4,
        "error_rate": round(2 / 6, 6), "trade_success_rate": 0.75,
        "tp_triggers_24h": 1, "sl_triggers_24h": 1, "tp_sl_trigger_rate": round(2 / 6, 6),
        "bags_share_24h": round(4 / 6, 6), "jupiter_share_24h": round(2 / 6, 6),
        "partner_fees_sol_24h": "0.3", "trades_without_tpsl_24h": 1,
        "demo_success_rate_24h": round(2 / 3, 6),
        "websocket_connected": True, "active_rpc": "helius", "db_pool_utilization": 0.25,
        "rate_limit_usage": {"helius": 0.25, "jupiter": 0.4},
        # The bot's minutes are judged by the minute loop, which has not run here.
        "uptime_24h": None, "uptime_30d": None, "heartbeats_late": 0,
        "bot_degraded_24h": None, "bot_degraded_30d": None, "uptime_data_since": None,
        "portal_uptime_24h": None, "portal_uptime_30d": None,
        # No RPC endpoint registered, no backup taken yet.
        "rpc_active_down": 0, "rpc_active_consecutive_failures": 0,
        "rpc_preferred_consecutive_failures": 0,
        "rpc_active_latency_ms": None, "rpc_endpoints_healthy": 0,
        "backup_database_stale": 1, "backup_database_age_seconds": None,
        # No dependency or API key registered.
        "dependency_down_count": 0, "cert_min_days_left": None, "certs_expiring_count": 0,
        "api_keys_invalid_count": 0, "dependencies": {},
        "open_positions": 0, "positions_without_tpsl": 0, "realized_pnl_sol_24h": 0.0,
        "sl_streak": 0, "daily_loss_sol": 0.0, "drawdown_sol_24h": 0.0,
    }
    # The hour's successful confirmations are 100, 200, 300 ms: ranks 1, 1, 1.
    for name in ("p50", "p95", "p99"):
        assert confirmation[name] == pytest.approx(200, rel=0.01)
    assert vibe == pytest.approx(1000, rel=0.01)
    counts = metric_sample_counts(now=now)
    assert counts["trades_per_hour"] == 4 and counts["error_rate"] == 6
    assert counts["confirmation_ms.p95"] == 3 and counts["vibe_p95_ms_24h"] == 2
    assert counts["demo_success_rate_24h"] == 3 and counts["tp_sl_trigger_rate"] == 6


def test_the_windows_slide_second_by_second(now):
    ingest(known_events(now))
    later = metrics_current(now=now + S)
    assert later["trades_per_hour"] == 4  # N-1h+1s leaves, N+1s enters
    assert later["trades_24h"] == 6
    assert later["websocket_connected"] is False  # the N+1s report now counts


def test_duplicates_do_not_change_the_numbers(now):
    events = known_events(now)
    ingest(events)
    before = metrics_current(now=now)
    assert ingest(events) == (0, len(events))
    assert metrics_current(now=now) == before


def test_empty_windows_give_null_rates_and_zero_counts():
    body = metrics_current()
    assert body["trades_24h"] == 0 and body["trades_per_hour"] == 0
    for key in ("error_rate", "trade_success_rate", "tp_sl_trigger_rate", "bags_share_24h",
                "jupiter_share_24h", "demo_success_rate_24h", "vibe_p95_ms_24h",
                "websocket_connected", "active_rpc", "db_pool_utilization", "uptime_24h",
                "uptime_30d"):
        assert body[key] is None, key
    assert body["confirmation_ms"] == {"p50": None, "p95": None, "p99": None}
    assert body["partner_fees_sol_24h"] == "0" and body["rate_limit_usage"] == {}


def test_a_size_zero_pool_or_limit_is_null_not_a_division_by_zero():
    ingest([ev("db_pool", in_use=0, size=0), ev("rate_limit", api="x", used=0, limit=0)])
    body = metrics_current()
    assert body["db_pool_utilization"] is None and body["rate_limit_usage"] == {"x": None}


def test_percentiles_stay_within_one_percent_of_the_exact_value():
    rng = random.Random(7)
    values = [rng.lognormvariate(6, 1.2) for _ in range(5000)] + [0.0] * 10
    hist = LogHistogram()
    for v in values:
        hist.add(v)
    merged = LogHistogram.from_json(LogHistogram().to_json())
    merged.merge(LogHistogram.from_json(hist.to_json()))
    ordered = sorted(values)
    for q in (0.5, 0.95, 0.99):
        exact = ordered[int(q * (len(ordered) - 1))]
        assert merged.quantile(q) == pytest.approx(exact, rel=0.01)


def test_confirmation_percentiles_through_ingestion_are_within_one_percent():
    now = timezone.now()
    rng = random.Random(3)
    values = [round(rng.uniform(200, 4000), 1) for _ in range(600)]
    ingest([trade(now - i * S, confirmation_ms=v) for i, v in enumerate(values)])
    body = metrics_current(now=now)
    ordered = sorted(values)
    for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        exact = ordered[int(q * (len(ordered) - 1))]
        assert body["confirmation_ms"][name] == pytest.approx(exact, rel=0.01)


def test_metrics_reads_a_bounded_number_of_rows(now, django_assert_max_num_queries):
    ingest(known_events(now))
    # 5, plus 2 for alerting's state keys (RPC endpoints, the last database backup),
    # one each for the bot's uptime and the portal's own, 2 for the dependency
    # probes and API keys (issue 18) and 4 for the positions' keys (issue 21).
    with django_assert_max_num_queries(15):
        metrics_current(now=now)


def test_portal_uptime_counts_minutes_without_a_sample_as_down(now):
    minute = now.replace(second=0)
    for i in range(1, 5):  # four settled minutes, the newest unhealthy
        UptimeSample.objects.create(minute=minute - i * M, status="healthy", up=i != 1)
    body = metrics_current(now=now)
    assert body["portal_uptime_24h"] == 0.75 and body["portal_uptime_30d"] == 0.75
    # The portal was silent for two days before: those minutes count, as down.
    UptimeSample.objects.create(minute=minute - 2 * 24 * H, status="healthy", up=True)
    body = metrics_current(now=now)
    # Whole settled minutes inside (now - 24 h, now]: now is mid-minute, so 1439.
    assert body["portal_uptime_24h"] == round(3 / (24 * 60 - 1), 6)
    assert body["portal_uptime_30d"] == round(4 / (2 * 24 * 60), 6)
    assert body["uptime_24h"] is None and body["uptime_data_since"] is None  # no bot signal


def test_metrics_needs_the_read_scope(api, ingest_client, read_client):
    assert api.get("/metrics").status_code == 401
    assert ingest_client.get("/metrics").status_code == 403
    response = read_client.get("/metrics")
    assert response.status_code == 200 and set(response.json()) == KEYS | {"performance"}


@pytest.mark.parametrize("how", ["query", "accept"])
def test_prometheus_text_parses_and_carries_every_number(read_client, how):
    now = timezone.now()
    ingest([trade(now, confirmation_ms=250, partner_fee_sol="0.5"),
            ev("rate_limit", now, api="jupiter", used=1, limit=2),
            ev("rpc_status", now, endpoint="helius", ok=True, latency_ms=3),
            ev("ws_status", now, connected=True)])
    if how == "query":
        response = read_client.get("/metrics?format=prometheus")
    else:
        response = read_client.get("/metrics", HTTP_ACCEPT="text/plain")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    assert samples[("opsportal_trades_24h", ())] == 1
    assert samples[("opsportal_trade_success_rate", ())] == 1
    assert samples[("opsportal_partner_fees_sol_24h", ())] == 0.5
    assert samples[("opsportal_websocket_connected", ())] == 1
    assert samples[("opsportal_rate_limit_usage", (("api", "jupiter"),))] == 0.5
    p95 = samples[("opsportal_confirmation_ms", (("quantile", "0.95"),))]
    assert p95 == pytest.approx(250, rel=0.01)
    assert samples[("opsportal_active_rpc_info", (("name", "helius"),))] == 1
    assert ("opsportal_heartbeats_late", ()) in samples
    assert ("opsportal_uptime_24h", ()) not in samples  # null: left out


def test_rollups_and_edges_agree_with_a_brute_force_count_at_any_second():
    # Events scattered over 26 h; at several arbitrary `now`s every window count must equal
    # a count over the raw events, whatever mix of hour/minute/10 s buckets covers it.
    rng = random.Random(11)
    base = timezone.now() - datetime.timedelta(hours=3)
    stamps = [base - datetime.timedelta(seconds=rng.uniform(0, 26 * 3600)) for _ in range(400)]
    events = [trade(ts, success=i % 4 != 0, confirmation_ms=100 + i) for i, ts in
              enumerate(stamps)]
    events += [ev("tp_trigger", ts, trade_id="x") for ts in stamps[:50]]
    ingest(events)
    for k in range(6):
        now = base - datetime.timedelta(seconds=rng.uniform(0, 2 * 3600))
        if k == 0:
            now = stamps[7]  # exactly on an event
        body = metrics_current(now=now)
        day = [t for t in stamps if now - 24 * H < t <= now]
        hour = [(i, t) for i, t in enumerate(stamps) if now - H < t <= now]
        assert body["trades_24h"] == len(day)
        assert body["trades_per_hour"] == len(hour)
        assert body["tp_triggers_24h"] == len([t for t in stamps[:50] if now - 24 * H < t <= now])
        ok = [i for i, _ in hour if i % 4 != 0]
        assert body["trade_success_rate"] == (round(len(ok) / len(hour), 6) if hour else None)


def test_an_error_asked_for_as_prometheus_text_is_still_labelled_json(api, ingest_client):
    for client in (api, ingest_client):
        response = client.get("/metrics?format=prometheus")
        assert response.status_code in (401, 403)
        assert response["Content-Type"] == "application/json"
        assert "detail" in response.json()
