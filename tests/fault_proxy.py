"""A fault-injecting TCP proxy for tests: PostgreSQL or Redis that refuses or hangs.

Hand-written because toxiproxy (the usual tool) is a Go binary that is not
installed here, and the three behaviours the fault tests need fit in one page:

- `pass`:   forward bytes both ways to the real server;
- `refuse`: nothing listens on the port any more (connects get ECONNREFUSED) and
            every open connection is reset, as when the server is down;
- `hang`:   new connections are accepted and never answered; open connections
            stop forwarding but stay open (the kernel still ACKs), as when the
            server, or something between, hangs. Leaving `hang` closes them.
"""

import contextlib
import select
import selectors
import socket
import struct
import threading

MODES = ("pass", "refuse", "hang")


def _reset(sock: socket.socket) -> None:
    # SO_LINGER 0: close() sends RST, like a server that went away.
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class FaultProxy:
    """127.0.0.1:<port> -> upstream; `set_mode(...)` switches the behaviour at runtime."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.mode = "pass"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._conns: set[socket.socket] = set()
        self._listener = self._listen(0)
        self.port = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True,
                                          name=f"fault-proxy-{self.port}")
        self._acceptor.start()

    @staticmethod
    def _listen(port: int) -> socket.socket:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
        return sock

    def set_mode(self, mode: str) -> None:
        assert mode in MODES, mode
        with self._lock:
            previous, self.mode = self.mode, mode
            if mode == "refuse":
                if self._listener is not None:
                    self._listener.close()
                    self._listener = None
                self._close_all()
            elif previous == "refuse":
                self._listener = self._listen(self.port)
            elif previous == "hang" and mode == "pass":
                # Hung connections do not come back to life: the client has given up on them.
                self._close_all()

    def _close_all(self) -> None:
        for sock in list(self._conns):
            _reset(sock)
        self._conns.clear()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            # Polled under the lock, so set_mode("refuse") never closes the listener while
            # an accept() still holds it open (a connect would then be reset, not refused).
            with self._lock:
                listener, mode = self._listener, self.mode
                client = None
                if listener is not None and select.select([listener], [], [], 0.05)[0]:
                    with contextlib.suppress(OSError):
                        client, _ = listener.accept()
                        client.settimeout(None)
                        self._conns.add(client)
            if listener is None:
                self._stop.wait(0.05)
            if client is None or mode == "hang":
                continue  # when hanging: held open, never read, never answered
            threading.Thread(target=self._pump, args=(client,), daemon=True).start()

    def _pump(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            _reset(client)
            return
        with self._lock:
            self._conns.add(upstream)
        peer = {client: upstream, upstream: client}
        sel = selectors.DefaultSelector()
        try:
            sel.register(client, selectors.EVENT_READ)
            sel.register(upstream, selectors.EVENT_READ)
            while not self._stop.is_set():
                if self.mode != "pass":
                    if client.fileno() == -1 or upstream.fileno() == -1:
                        return  # reset by set_mode
                    self._stop.wait(0.05)  # hang: forward nothing, keep both ends open
                    continue
                for key, _ in sel.select(0.05):
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    peer[key.fileobj].sendall(data)
        except (OSError, ValueError):
            return  # a side was reset or closed
        finally:
            sel.close()
            with self._lock:
                for sock in (client, upstream):
                    self._conns.discard(sock)
                    with contextlib.suppress(OSError):
                        sock.close()

    def close(self) -> None:
        self._stop.set()
        self._acceptor.join(2)
        with self._lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            self._close_all()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
