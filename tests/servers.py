"""Real servers on 127.0.0.1 for tests: what stands in for the outside world.

Each runs in a daemon thread and is stopped by the context manager.
"""

import contextlib
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextlib.contextmanager
def hanging_tcp_server():
    """Accepts connections and never answers: a dependency that hangs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(50)
    held = []
    stop = threading.Event()

    def accept():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
                held.append(conn)
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        t.join(2)
        for c in held:
            c.close()
        sock.close()


class RecordingServer:
    """An HTTP server that records every request and answers as told.

    `respond(method, path, body) -> (status, dict | str)` decides the answer;
    the default is 200 {"ok": true}. `respond_headers(method, path, body, headers)`,
    if given, decides instead (e.g. by an API key header). `tls_cert` (a trustme
    LeafCert) makes it an HTTPS server.
    """

    def __init__(self, respond=None, *, tls_cert=None, respond_headers=None):
        self.requests: list[dict] = []
        self.respond = respond or (lambda method, path, body: (200, {"ok": True}))
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode(errors="replace")
                outer.requests.append({"method": self.command, "path": self.path,
                                       "headers": dict(self.headers), "body": body})
                status, payload = (
                    respond_headers(self.command, self.path, body, dict(self.headers))
                    if respond_headers else outer.respond(self.command, self.path, body))
                data = payload if isinstance(payload, bytes) else (
                    payload.encode() if isinstance(payload, str) else json.dumps(payload).encode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_HEAD = _handle

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # refused handshakes
        scheme = "http"
        if tls_cert is not None:
            # `tls_cert`: a trustme LeafCert. The handshake runs in each request's thread
            # (not on accept), so a client that refuses the certificate blocks nobody.
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls_cert.configure_cert(context)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True,
                                                    do_handshake_on_connect=False)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
