"""A tiny real HTTP server on 127.0.0.1 that speaks the events endpoint's answers.

`answer(n, events) -> (status, body, headers) or None` decides the n-th request's
answer (None: 202 with the events stored). Stored events are kept by id, so a
resent id counts as a duplicate, as the portal does.
"""

import email.utils
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakePortal:
    def __init__(self, answer=None, clock_offset: float = 0.0):
        self.answer = answer or (lambda n, events: None)
        self.clock_offset = clock_offset
        self.requests: list[dict] = []  # {"at", "path", "events", "bytes", "status"}
        self.stored: dict[str, dict] = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                events = json.loads(raw)["events"] if raw else []
                with outer.lock:
                    n = len(outer.requests)
                    record = {"at": time.monotonic(), "path": self.path, "events": events,
                              "bytes": len(raw), "status": None,
                              "auth": self.headers.get("Authorization")}
                    outer.requests.append(record)
                    decided = outer.answer(n, events) if self.path.endswith("/events") \
                        else (200, "OK", {})
                    if decided is None:
                        duplicates = sum(1 for e in events if e["id"] in outer.stored)
                        for e in events:
                            outer.stored.setdefault(e["id"], e)
                        decided = (202, {"accepted": len(events) - duplicates,
                                         "duplicates": duplicates}, {})
                status, body, headers = decided
                record["status"] = status
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response_only(status)
                self.send_header("Date", email.utils.formatdate(
                    time.time() + outer.clock_offset, usegmt=True))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def event_requests(self):
        return [r for r in self.requests if r["path"].endswith("/events")]

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
