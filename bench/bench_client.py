"""The Python client's cost to the trading loop: µs per `Portal.trade()` call against
a bare function call with the same arguments (issue 20, part 1).

The client delivers meanwhile to a local HTTP server that answers 202 (a stand-in
for the portal: what is measured is the caller's side, and the delivery thread's
competition for the GIL is part of it). 7 rounds of 20,000 calls each, the two
sides interleaved (a b b a ...); median per-call time over rounds. Also a sample
of single calls (p50/p99/max), where a GIL hand-over to the delivery thread shows.
Needs no database. Exits non-zero over the target.
"""

import json
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "clients" / "python"))

from opsportal_client import Portal  # noqa: E402

TARGET_US = 50.0
ROUNDS = 7
CALLS = 20_000
SAMPLE = 5_000
ARGS = {"success": True, "via": "bags", "confirmation_ms": 420.0,
        "partner_fee_sol": "0.0125", "take_profit_pct": 20.0, "stop_loss_pct": 10.0}


class Accepting(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received = 0

    def do_POST(self):
        events = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["events"]
        Accepting.received += len(events)
        body = json.dumps({"accepted": len(events), "duplicates": 0}).encode()
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def bare(*, success, via, confirmation_ms=None, partner_fee_sol=None, take_profit_pct=None,
         stop_loss_pct=None, error=None, demo=False, ts=None, **extra):
    return None


def per_call_us(fn) -> float:
    started = time.perf_counter()
    for _ in range(CALLS):
        fn(**ARGS)
    return (time.perf_counter() - started) / CALLS * 1e6


def main() -> int:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Accepting)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        portal = Portal(f"http://127.0.0.1:{httpd.server_address[1]}", "bench",
                        queue_path=str(Path(tmp) / "queue.sqlite3"), max_events=10**6)
        try:
            bares, trades = [], []
            for r in range(ROUNDS):
                order = (bare, portal.trade) if r % 2 == 0 else (portal.trade, bare)
                for fn in order:
                    (bares if fn is bare else trades).append(per_call_us(fn))
            singles = []
            for _ in range(SAMPLE):
                started = time.perf_counter_ns()
                portal.trade(**ARGS)
                singles.append((time.perf_counter_ns() - started) / 1000)
            delivered = portal.flush(timeout=120)
            stats = portal.stats()
        finally:
            portal.close()
            httpd.shutdown()
    sent = ROUNDS * CALLS + SAMPLE
    trade_us, bare_us = statistics.median(trades), statistics.median(bares)
    singles.sort()
    p50, p99 = singles[len(singles) // 2], singles[int(len(singles) * 0.99)]
    print(f"  trade() {trade_us:.2f} µs per call (rounds "
          f"{', '.join(f'{t:.1f}' for t in trades)}), bare call {bare_us:.3f} µs, "
          f"ratio {trade_us / bare_us:.0f}x")
    print(f"  single calls: p50 {p50:.1f} µs, p99 {p99:.1f} µs, max {singles[-1]:.0f} µs "
          f"({SAMPLE} calls while the delivery thread sends)")
    print(f"  delivered {stats['sent']} of {sent} events, dropped {stats['dropped']}, "
          f"rejected {stats['rejected']}")
    print(f"client trade() overhead: {trade_us:.2f} µs (target <= {TARGET_US:g})")
    print(f"RESULT\tclient trade() µs per call\t{trade_us:.2f}\t<= {TARGET_US:g}\t"
          f"bare call {bare_us:.3f} µs ({trade_us / bare_us:.0f}x), p99 {p99:.1f} µs",
          flush=True)
    if not delivered or stats["sent"] != sent:
        print(f"not every event was delivered: {stats}")
        return 1
    return 0 if trade_us <= TARGET_US else 1


if __name__ == "__main__":
    sys.exit(main())
