import json
from datetime import timedelta
from datetime import timezone as dt_timezone

import pytest
from django.utils import timezone

from monitoring.models import Event, EventRollup
from monitoring.tally import Tally
from tests.monitoring.events import ev, trade

pytestmark = pytest.mark.django_db

URL = "/api/v1/events"


def post(client, events):
    return client.post(URL, {"events": events}, format="json")


def test_it_accepts_a_batch_of_every_type_and_rolls_it_up(ingest_client):
    now = timezone.now().replace(second=30, microsecond=0)
    batch = [
        trade(now, confirmation_ms=800, partner_fee_sol="0.25"),
        trade(now, success=False, via="jupiter", error="slippage", demo=True),
        ev("tp_trigger", now, trade_id="t1"), ev("sl_trigger", now, trade_id="t2"),
        ev("rpc_status", now, endpoint="helius", ok=True, latency_ms=40),
        ev("ws_status", now, connected=True), ev("db_pool", now, in_use=3, size=10),
        ev("rate_limit", now, api="jupiter", used=10, limit=100),
        ev("command", now, name="/vibe", ok=True, duration_ms=1200),
    ]
    response = post(ingest_client, batch)
    assert response.status_code == 202, response.content
    assert response.json() == {"accepted": 9, "duplicates": 0}
    assert Event.objects.count() == 9
    rollup = EventRollup.objects.get(seconds=60)
    assert rollup.start == now.replace(second=0)
    assert rollup.events == 9
    assert [(r.seconds, r.start, r.events) for r in EventRollup.objects.order_by("seconds")] == [
        (10, now, 9), (60, now.replace(second=0), 9),
        (600, now.replace(minute=now.minute // 10 * 10, second=0), 9),
        (3600, now.replace(minute=0, second=0), 9)]
    tally = Tally.from_json(rollup.data)
    assert (tally.trades, tally.trades_ok, tally.bags, tally.jupiter, tally.demo) == (2, 1, 1, 1, 1)
    assert (tally.tp, tally.sl, tally.commands, tally.vibe) == (1, 1, 1, 1)
    assert str(tally.fees) == "0.25"
    assert tally.ws[1] is True and tally.rate_limit["jupiter"][1:] == [10, 100]


def test_it_counts_duplicates_and_does_not_store_them_again(ingest_client):
    first = trade(id="dup-1")
    assert post(ingest_client, [first]).json() == {"accepted": 1, "duplicates": 0}
    response = post(ingest_client, [first, trade(id="new-1"), trade(id="new-1")])
    assert response.status_code == 202
    assert response.json() == {"accepted": 1, "duplicates": 2}
    assert Event.objects.count() == 2
    minutes = EventRollup.objects.filter(seconds=60)
    assert sum(r.events for r in minutes) == 2
    assert sum(Tally.from_json(r.data).trades for r in minutes) == 2


BAD = [
    (dict(via="raydium"), "via"),
    (dict(success="yes"), "success"),
    (dict(confirmation_ms=-1), "confirmation_ms"),
    (dict(confirmation_ms=None), "confirmation_ms"),
    (dict(partner_fee_sol=0.1), "partner_fee_sol"),
    (dict(partner_fee_sol="-0.1"), "partner_fee_sol"),
    (dict(partner_fee_sol="NaN"), "partner_fee_sol"),
    (dict(take_profit_pct=0), "take_profit_pct"),
    (dict(stop_loss_pct="5"), "stop_loss_pct"),
    (dict(demo=1), "demo"),
    (dict(id=""), "id"),
    (dict(id="x" * 65), "id"),
    (dict(id=7), "id"),
    (dict(type="tarde"), "type"),
    (dict(ts="2026-11-24T12:00:00"), "ts"),
    (dict(ts="yesterday"), "ts"),
    (dict(ts=1764000000), "ts"),
]


@pytest.mark.parametrize(("change", "field"), BAD, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD)])
def test_it_rejects_a_batch_with_one_bad_event(ingest_client, change, field):
    bad = trade() | change
    response = post(ingest_client, [trade(), trade(), bad])
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert errors[0]["index"] == 2 and errors[0]["field"] == field and errors[0]["message"]
    assert Event.objects.count() == 0 and EventRollup.objects.count() == 0


@pytest.mark.parametrize("event", [
    {"type": "trade", "ts": "2026-11-24T12:00:00Z", "success": True, "via": "bags"},  # no id
    ev("trade", success=True),  # no via (and no confirmation)
    ev("tp_trigger"), ev("rpc_status", endpoint="a", ok="true"),
    ev("ws_status"), ev("db_pool", in_use=1.5, size=2), ev("db_pool", in_use=-1, size=2),
    ev("rate_limit", api="x", used=1), ev("command", name="/demo", ok=True),
    "not an object",
])
def test_it_rejects_missing_fields_and_wrong_types_for_every_type(ingest_client, event):
    response = post(ingest_client, [event])
    assert response.status_code == 400
    assert response.json()["errors"][0]["index"] == 0
    assert Event.objects.count() == 0


def test_it_rejects_a_timestamp_more_than_five_minutes_ahead(ingest_client):
    now = timezone.now()
    ok = trade(now + timezone.timedelta(minutes=4))
    late = trade(now + timezone.timedelta(minutes=6))
    response = post(ingest_client, [ok, late])
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 1, "field": "ts", "message": "is more than 5 minutes in the future"}]
    assert post(ingest_client, [ok]).status_code == 202


def test_it_accepts_timestamps_in_any_time_zone(ingest_client):
    utc = (timezone.now() - timedelta(hours=3)).replace(microsecond=0)
    local = utc.astimezone(dt_timezone(timedelta(hours=2)))
    response = post(ingest_client, [trade(id="tz", ts=None) | {"ts": local.isoformat()}])
    assert response.status_code == 202
    assert local.isoformat().endswith("+02:00")
    assert Event.objects.get(id="tz").ts == utc


def test_it_refuses_events_older_than_the_retention_window(ingest_client, settings):
    settings.EVENT_RETENTION_DAYS = 7
    now = timezone.now()
    old = trade(id="old", ts=None) | {"ts": (now - timedelta(days=7, minutes=1)).isoformat()}
    kept = trade(id="kept", ts=None) | {"ts": (now - timedelta(days=6, hours=23)).isoformat()}
    response = post(ingest_client, [kept, old])
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 1, "field": "ts", "message": "is older than the retention window (7 days)"}]
    assert Event.objects.count() == 0  # the batch is all or nothing
    assert post(ingest_client, [kept]).status_code == 202


def test_it_answers_413_past_1000_events_and_stores_nothing(ingest_client):
    events = [ev("ws_status", connected=True) for _ in range(1001)]
    response = post(ingest_client, events)
    assert response.status_code == 413
    assert "1000 events" in response.json()["detail"]
    assert Event.objects.count() == 0
    assert post(ingest_client, events[:1000]).json() == {"accepted": 1000, "duplicates": 0}


def test_it_answers_413_past_one_mebibyte_without_parsing(ingest_client):
    body = json.dumps({"events": [trade(error="x" * 2000) for _ in range(600)]})
    assert len(body) > 1024 * 1024
    response = ingest_client.post(URL, body, content_type="application/json")
    assert response.status_code == 413
    assert Event.objects.count() == 0


@pytest.mark.parametrize("body", ["{not json", "[]", '{"events": {}}', '{"events": []}', ""])
def test_it_rejects_a_body_that_is_not_a_json_batch(ingest_client, body):
    response = ingest_client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


def test_it_needs_the_ingest_scope(api, read_client):
    assert post(api, [trade()]).status_code == 401
    response = post(read_client, [trade()])
    assert response.status_code == 403
    assert Event.objects.count() == 0


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain"])
def test_a_body_that_is_not_json_is_a_415_and_stores_nothing(ingest_client, content_type):
    body = json.dumps({"events": [trade(timezone.now())]})
    response = ingest_client.post(URL, body, content_type=content_type)
    assert response.status_code == 415, response.content
    assert "detail" in response.json()
    assert Event.objects.count() == 0
