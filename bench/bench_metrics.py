"""/metrics latency p95 (real gunicorn, HTTP) with 10^3 versus 10^6 stored events.

Both data sets span the last 24 h. Events repeat one per-minute pattern, so
the matching per-minute rollups are computed once with the portal's own
`Tally` and written with the right gauge times; raw rows are generated in
PostgreSQL with generate_series joined to that pattern.
"""

import copy
import datetime
import http.client
import json
import subprocess
import sys
import time

from benchlib import bench_url, django_setup, gunicorn, p95, result

REQUESTS = 300


def pattern(k: int) -> list[dict]:
    out = []
    for i in range(k):
        kind = i % 10
        if kind == 0:
            out.append({"type": "command", "name": "/vibe", "ok": i % 7 != 0,
                        "duration_ms": 200 + (i * 53) % 3000})
        elif kind == 1:
            out.append({"type": "ws_status", "connected": True})
        elif kind == 2:
            out.append({"type": "db_pool", "in_use": i % 10, "size": 20})
        elif kind == 3:
            out.append({"type": "rate_limit", "api": f"api{i % 3}", "used": i % 50, "limit": 100})
        elif kind == 4:
            out.append({"type": "tp_trigger", "trade_id": f"t{i}"})
        elif kind == 5:
            out.append({"type": "rpc_status", "endpoint": "helius", "ok": True, "latency_ms": 40})
        else:
            out.append({"type": "trade", "success": i % 17 != 0,
                        "via": "bags" if i % 3 else "jupiter",
                        "confirmation_ms": 300 + (i * 37) % 2000, "partner_fee_sol": "0.002",
                        "take_profit_pct": 20, "stop_loss_pct": None if i % 11 == 0 else 10})
    return out


def _shifted(data: dict, offset: float) -> dict:
    data = copy.deepcopy(data)
    for key in ("ws", "db_pool", "rpc_ok"):
        if data[key]:
            data[key][0] += offset
    for reading in data["rate_limit"].values():
        reading[0] += offset
    return data


def load(n_minutes: int, per_minute: int, now: datetime.datetime) -> int:
    """Store n_minutes x per_minute events ending now, and their rollups at every resolution."""
    from django.db import connection

    from monitoring.models import EventRollup
    from monitoring.rollups import bucket_start
    from monitoring.tally import Tally

    events = pattern(per_minute)
    first = now.replace(second=0, microsecond=0) - datetime.timedelta(minutes=n_minutes - 1)
    step = 60.0 / per_minute
    # Each minute repeats the pattern: tally its six 10 s slices once, with gauge times
    # relative to the minute start, and shift those times per minute.
    slices = [Tally() for _ in range(6)]
    counts = [0] * 6
    for i, e in enumerate(events):
        slices[int(i * step // 10)].add(e, i * step)
        counts[int(i * step // 10)] += 1
    slice_json = [t.to_json() for t in slices]
    minute_tally = Tally()
    for t in slices:
        minute_tally.merge(t)
    minute_json = minute_tally.to_json()
    rollups, hours = [], {}
    for m in range(n_minutes):
        minute = first + datetime.timedelta(minutes=m)
        offset = minute.timestamp()
        for j in range(6):
            if counts[j]:
                rollups.append(EventRollup(
                    seconds=10, start=minute + datetime.timedelta(seconds=10 * j),
                    events=counts[j], data=_shifted(slice_json[j], offset)))
        data = _shifted(minute_json, offset)
        rollups.append(EventRollup(seconds=60, start=minute, events=per_minute, data=data))
        for seconds in (600, 3600):
            bigger = hours.setdefault((seconds, bucket_start(minute, seconds)), [0, Tally()])
            bigger[0] += per_minute
            bigger[1].merge(Tally.from_json(data))
    rollups += [EventRollup(seconds=sec, start=h, events=n, data=t.to_json())
                for (sec, h), (n, t) in hours.items()]
    with connection.cursor() as c:
        c.execute("TRUNCATE monitoring_event, monitoring_eventrollup")
        c.execute("DROP TABLE IF EXISTS bench_pattern")
        c.execute("CREATE TEMP TABLE bench_pattern (i int, type text, payload jsonb)")
        with c.copy("COPY bench_pattern (i, type, payload) FROM STDIN") as cp:
            for i, e in enumerate(events):
                cp.write_row((i, e["type"], json.dumps(e)))
        c.execute(
            "INSERT INTO monitoring_event (id, type, ts, payload, received_at) "
            "SELECT 'b-' || g, p.type, %s::timestamptz + (g / %s) * interval '1 minute'"
            " + (g %% %s) * %s * interval '1 second',"
            " p.payload || jsonb_build_object('id', 'b-' || g), now() "
            "FROM generate_series(0, %s - 1) g JOIN bench_pattern p ON p.i = g %% %s",
            [first, per_minute, per_minute, step, n_minutes * per_minute, per_minute])
        EventRollup.objects.bulk_create(rollups, batch_size=1000)
        # Settle before measuring: what a table looks like after hours of steady ingestion
        # (hint bits set, statistics fresh), not autovacuum racing the benchmark on 2 CPUs.
        c.execute("VACUUM (ANALYZE) monitoring_event")
        c.execute("VACUUM (ANALYZE) monitoring_eventrollup")
        c.execute("CHECKPOINT")
        c.execute("SELECT count(*) FROM monitoring_event")
        return c.fetchone()[0]


def latencies(ports: dict[str, int], tokens: dict[str, str]) -> tuple[dict, dict]:
    """REQUESTS GETs to each server, alternating, after a warm-up; -> (p95 by name, bodies).

    Alternating request by request means a neighbour's CPU burst on this
    shared machine hits both data sets alike instead of deciding the ratio.
    """
    conns = {n: http.client.HTTPConnection("127.0.0.1", p, timeout=60) for n, p in ports.items()}
    samples: dict[str, list] = {n: [] for n in ports}
    bodies = {}
    for i in range(REQUESTS + 5):
        for name, conn in conns.items():
            started = time.perf_counter()
            conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {tokens[name]}"})
            response = conn.getresponse()
            bodies[name] = json.loads(response.read())
            assert response.status == 200, bodies[name]
            if i >= 5:  # the first requests warm each worker's connection and caches
                samples[name].append(time.perf_counter() - started)
    return {n: p95(s) for n, s in samples.items()}, bodies


def load_command(url: str, n_minutes: int, per_minute: int) -> None:
    """`bench_metrics.py load URL MINUTES PER_MINUTE`: fill one database, print a token."""
    django_setup(url)
    from django.utils import timezone

    from accounts.services import api_token_create

    count = load(n_minutes, per_minute, timezone.now())
    _, token = api_token_create(name=f"bench-metrics-{time.time_ns()}", scopes=["read"])
    print(count, token)


def main():
    if sys.argv[1:2] == ["load"]:
        return load_command(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    big_url = bench_url()
    small_url = big_url.rsplit("/", 1)[0] + "/" + big_url.rsplit("/", 1)[1] + "_small"
    counts, tokens = {}, {}
    # 10^3 events (one a minute over ~17 h) and ~10^6 (695 a minute over 24 h), each in
    # its own database so both servers run side by side.
    for name, url, minutes, per_minute in (("small", small_url, 1000, 1),
                                           ("big", big_url, 1440, 695)):
        out = subprocess.run([sys.executable, __file__, "load", url, str(minutes),
                              str(per_minute)], capture_output=True, text=True, check=True)
        count, tokens[name] = out.stdout.split()[-2:]
        counts[name] = int(count)
    with gunicorn(workers=1, url=small_url) as small_port, \
            gunicorn(workers=1, url=big_url) as big_port:
        p95s, bodies = latencies({"small": small_port, "big": big_port}, tokens)
    assert bodies["big"]["trades_24h"] > 300_000, bodies["big"]
    small, big = p95s["small"], p95s["big"]
    result("metrics: p95 at 10^6 over p95 at 10^3 events", big / small, "<= 1.5",
           f"{small * 1000:.1f} ms with {counts['small']:,} events, "
           f"{big * 1000:.1f} ms with {counts['big']:,}; {REQUESTS} requests each, alternating")


if __name__ == "__main__":
    main()
