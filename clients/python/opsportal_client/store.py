"""The disk queue: one SQLite table of serialised events, oldest first.

Only the delivery thread touches it (it opens the connection itself), so no
lock is needed and the caller's thread never waits on SQLite. WAL with
synchronous=NORMAL: a commit is not an fsync, so a power cut may lose the last
commits, but a crash of the bot's process loses nothing already committed.
"""

from __future__ import annotations

import logging
import sqlite3

log = logging.getLogger("opsportal_client")


class Store:
    def __init__(self, path: str | None):
        self.path = path or ":memory:"
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=5)
            self._setup()
            self.count = self.conn.execute("SELECT count(*) FROM events").fetchone()[0]
        except sqlite3.Error as exc:  # not a database, unwritable, locked by another
            # A queue in memory still delivers; it only forgets on restart.
            log.error("opsportal_client: cannot open the queue %s (%s); queueing in memory",
                      self.path, exc)
            self.path = ":memory:"
            self.conn = sqlite3.connect(":memory:", isolation_level=None)
            self._setup()
            self.count = 0

    def _setup(self) -> None:
        if self.path != ":memory:":
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("CREATE TABLE IF NOT EXISTS events ("
                          "seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)")

    def append(self, bodies: list[str], max_events: int) -> int:
        """Store `bodies`; past `max_events` the oldest go. -> how many were dropped."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany("INSERT INTO events (body) VALUES (?)",
                                  [(b,) for b in bodies])
            self.count += len(bodies)
            over = self.count - max_events
            if over > 0:
                self.conn.execute("DELETE FROM events WHERE seq IN "
                                  "(SELECT seq FROM events ORDER BY seq LIMIT ?)", (over,))
                self.count -= over
        return max(over, 0)

    def head(self, max_events: int, max_bytes: int) -> list[tuple[int, str]]:
        """The oldest events that fit in one request of `max_bytes` (at least one)."""
        rows: list[tuple[int, str]] = []
        size = 0
        for seq, body in self.conn.execute(
                "SELECT seq, body FROM events ORDER BY seq LIMIT ?", (max_events,)):
            size += len(body.encode()) + 1
            if rows and size > max_bytes:
                break
            rows.append((seq, body))
        return rows

    def delete(self, seqs: list[int]) -> None:
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            for start in range(0, len(seqs), 500):  # SQLite's bound on host parameters
                chunk = seqs[start:start + 500]
                self.conn.execute(
                    f"DELETE FROM events WHERE seq IN ({','.join('?' * len(chunk))})",  # noqa: S608
                    chunk)
        self.count = self.conn.execute("SELECT count(*) FROM events").fetchone()[0]

    def close(self) -> None:
        try:
            self.conn.close()
        except sqlite3.Error:
            pass
