"""True counters and histograms for Prometheus (issue 20.2), and the shipped Prometheus files."""

import datetime
import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.monitoring.events import ev, ingest, trade
from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
PROM_DIR = ROOT / "deploy" / "prometheus"
PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics?format=prometheus")
    assert response.status_code == 200
    out = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def delta(before, after, name, **labels):
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


@pytest.mark.django_db
def test_increase_over_the_counters_equals_the_events_sent_between_two_scrapes(read_client):
    now = timezone.now()
    ingest([trade(now - datetime.timedelta(days=3), confirmation_ms=100)])  # before: counted
    before = scrape(read_client)
    ingest([trade(now, confirmation_ms=120, partner_fee_sol="0.01"),
            trade(now, confirmation_ms=480, partner_fee_sol="0.02"),
            trade(now, confirmation_ms=2500, via="jupiter", demo=True),
            trade(now, success=False, via="jupiter"),
            ev("command", now, name="/vibe", ok=True, duration_ms=1800),
            ev("command", now, name="/vibe", ok=False, duration_ms=4000),
            ev("command", now, name="/demo", ok=True, duration_ms=20),
            ev("command", now, name="not a command!", ok=True, duration_ms=1),
            ev("tp_trigger", now, trade_id="a"), ev("sl_trigger", now, trade_id="b"),
            ev("sl_trigger", now, trade_id="c")])
    synthetic = trade(now, confirmation_ms=100, synthetic=True)
    duplicate = trade(now, confirmation_ms=100)
    ingest([synthetic, duplicate])
    ingest([duplicate])  # a retry: stored once, counted once
    after = scrape(read_client)
    t = "opsportal_trades_total"
    assert delta(before, after, t, venue="bags", result="ok", demo="false") == 3
    assert delta(before, after, t, venue="jupiter", result="ok", demo="true") == 1
    assert delta(before, after, t, venue="jupiter", result="failed", demo="false") == 1
    c = "opsportal_commands_total"
    assert delta(before, after, c, command="/vibe", result="ok") == 1
    assert delta(before, after, c, command="/vibe", result="failed") == 1
    assert delta(before, after, c, command="other", result="ok") == 1
    assert delta(before, after, "opsportal_tp_triggers_total") == 1
    assert delta(before, after, "opsportal_sl_triggers_total") == 2
    assert delta(before, after, "opsportal_partner_fees_sol_total") == pytest.approx(0.03)
    assert delta(before, after, "opsportal_events_ingested_total", type="trade") == 5
    h = "opsportal_trade_confirmation_ms"
    assert delta(before, after, f"{h}_bucket", le="500.0") == 3  # 120, 480, 100
    assert delta(before, after, f"{h}_bucket", le="+Inf") == 4
    assert delta(before, after, f"{h}_count") == 4
    assert delta(before, after, f"{h}_sum") == pytest.approx(120 + 480 + 2500 + 100)
    v = "opsportal_vibe_duration_ms"
    assert delta(before, after, f"{v}_bucket", le="2000.0") == 1
    assert delta(before, after, f"{v}_count") == 2
    # The window gauges stay as they were (the contract's keys).
    assert ("opsportal_trades_24h", ()) in after


@pytest.mark.django_db
def test_counters_exist_from_zero_and_are_typed(read_client):
    text = read_client.get("/metrics?format=prometheus").content.decode()
    types = {f.name: f.type for f in text_string_to_metric_families(text)}
    assert types["opsportal_trades"] == "counter"
    assert types["opsportal_trade_confirmation_ms"] == "histogram"
    assert types["opsportal_trades_24h"] == "gauge"
    assert "opsportal_tp_triggers_total 0.0" in text


@pytest.mark.skipif(PROMTOOL is None, reason="needs promtool (Debian's prometheus)")
def test_the_shipped_prometheus_config_and_rules_pass_promtool():
    for args in (["check", "config", "--syntax-only", str(PROM_DIR / "prometheus.yml")],
                 ["check", "rules", str(PROM_DIR / "opsportal.rules.yml")],
                 ["test", "rules", str(PROM_DIR / "opsportal.rules.test.yml")]):
        proc = subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60,
                              check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.realclock  # Prometheus (Go) keeps the real clock whatever faketime says
@pytest.mark.skipif(PROMETHEUS is None, reason="needs Debian's prometheus")
@pytest.mark.django_db(transaction=True)
def test_a_real_prometheus_scrapes_the_counters_with_the_bearer_token(live_server, tmp_path):
    from accounts.services import api_token_create

    _, key = api_token_create(name="prometheus", scopes=["read"])
    (tmp_path / "token").write_text(key)
    config = (PROM_DIR / "prometheus.yml").read_text()
    target = live_server.url.removeprefix("http://")
    config = (config.replace("scheme: https", "scheme: http")
              .replace("/etc/prometheus/opsportal.token", str(tmp_path / "token"))
              .replace('["ops.example.com"]', f'["{target}"]')
              .replace("scrape_interval: 30s", "scrape_interval: 1s")
              .replace("evaluation_interval: 30s", "evaluation_interval: 1s"))
    (tmp_path / "prometheus.yml").write_text(config)
    shutil.copy(PROM_DIR / "opsportal.rules.yml", tmp_path / "opsportal.rules.yml")
    now = timezone.now()
    ingest([trade(now), trade(now), trade(now, success=False)])
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603
        [PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
         f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def query(expr):
            url = (f"http://127.0.0.1:{port}/api/v1/query?"
                   + urllib.parse.urlencode({"query": expr}))
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                return json.loads(response.read())["data"]["result"]

        deadline, result = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            try:
                result = query("sum(opsportal_trades_total)")
            except OSError:
                result = []
            if result and float(result[0]["value"][1]) == 3:
                break
            time.sleep(0.5)  # polling Prometheus with a deadline
        assert result and float(result[0]["value"][1]) == 3, result
        up = query('up{job="opsportal"}')
        assert up and up[0]["value"][1] == "1"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
