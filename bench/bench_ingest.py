"""Ingestion: events/s through POST /api/v1/events (gunicorn, 1000-event batches)
versus raw psycopg COPY of the same rows into the same table, same run."""

import datetime
import http.client
import json
import statistics
import time
import uuid

from benchlib import django_setup, gunicorn, result

BATCHES = 30
ROUNDS = 5
SIZE = 1000


def events(run: str, batch: int, now: datetime.datetime) -> list[dict]:
    out = []
    for i in range(SIZE):
        ts = (now - datetime.timedelta(milliseconds=batch * SIZE + i)).isoformat()
        out.append({"id": f"{run}-{batch}-{i}", "type": "trade", "ts": ts, "success": i % 20 != 0,
                    "via": "bags" if i % 3 else "jupiter", "confirmation_ms": 300 + i % 1700,
                    "partner_fee_sol": "0.0021", "take_profit_pct": 20, "stop_loss_pct": 10})
    return out


def main():
    url = django_setup()
    import psycopg
    from django.db import connection
    from django.utils import timezone

    from accounts.services import api_token_create

    with connection.cursor() as c:
        c.execute("TRUNCATE monitoring_event, monitoring_eventrollup")
    _, token = api_token_create(name=f"bench-{uuid.uuid4().hex[:8]}", scopes=["ingest"])
    now = timezone.now()
    run = uuid.uuid4().hex[:8]
    bodies = [json.dumps({"events": events(run, b, now)}).encode() for b in range(BATCHES)]

    copy_rows = [[(e["id"] + "-copy", e["type"], e["ts"], json.dumps(e), now) for e in
                  json.loads(body)["events"]] for body in bodies]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    ratios, api_total, copy_total = [], 0.0, 0.0
    # Interleaved rounds (API, then COPY, per round) and the median ratio: the machine is
    # shared, and a neighbour's burst should not decide the result.
    with gunicorn() as port, psycopg.connect(url) as pg:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("POST", "/api/v1/events", bodies[0].replace(run.encode(), b"warm"),
                     headers)
        assert conn.getresponse().read()
        per_round = BATCHES // ROUNDS
        for r in range(ROUNDS):
            chunk = range(r * per_round, (r + 1) * per_round)
            started = time.perf_counter()
            for b in chunk:
                conn.request("POST", "/api/v1/events", bodies[b], headers)
                response = conn.getresponse()
                answer = json.loads(response.read())
                assert response.status == 202 and answer["accepted"] == SIZE, answer
            api_seconds = time.perf_counter() - started
            started = time.perf_counter()
            for b in chunk:
                with pg.cursor() as cur, cur.copy(
                        "COPY monitoring_event (id, type, ts, payload, received_at) FROM STDIN"
                ) as copy:
                    for row in copy_rows[b]:
                        copy.write_row(row)
                pg.commit()
            copy_seconds = time.perf_counter() - started
            ratios.append(copy_seconds / api_seconds)
            api_total += api_seconds
            copy_total += copy_seconds
    total = BATCHES * SIZE
    result("ingest: API events/s over raw COPY", statistics.median(ratios), ">= 0.25",
           f"median of {ROUNDS} rounds {sorted(round(x, 2) for x in ratios)}; "
           f"API {total / api_total:,.0f} ev/s, COPY {total / copy_total:,.0f} ev/s overall, "
           f"{total:,} events each")


if __name__ == "__main__":
    main()
