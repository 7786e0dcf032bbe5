"""Folding events into the numbers /metrics needs.

One `Tally` per rollup minute is stored as `EventRollup.data`; /metrics merges
the stored minutes of a window and folds the raw events of its two partial
edge minutes with the same `add`, so rollups and live numbers cannot disagree.
Events here are validated (see `monitoring.services.event_schema`).
"""

from decimal import Decimal

from monitoring.sketch import LogHistogram

COUNTERS = ("trades", "trades_ok", "bags", "jupiter", "without_tpsl", "demo", "demo_ok",
            "commands", "commands_failed", "vibe", "tp", "sl",
            # For the checklist's feature items. A rollup stored before these existed
            # loads them as 0, so each ratio has its own denominator: `vibe_ok` is over
            # `vibe_commands`, never over `vibe`, bags.fm trades are `bags_ok +
            # bags_failed`, never `bags`, and an old bucket adds to neither side.
            "bags_ok", "bags_failed", "demo_commands", "demo_commands_ok", "vibe_commands",
            "vibe_ok")


def _later(a, b):
    """Of two gauge readings [epoch, ...], the later; either may be None."""
    if a is None:
        return b
    if b is None:
        return a
    return b if b[0] >= a[0] else a


class Tally:
    # The COUNTERS, set in __init__; declared for the type checker.
    trades: int
    trades_ok: int
    bags: int
    jupiter: int
    without_tpsl: int
    demo: int
    demo_ok: int
    commands: int
    commands_failed: int
    vibe: int
    tp: int
    sl: int
    bags_ok: int
    bags_failed: int
    demo_commands: int
    demo_commands_ok: int
    vibe_commands: int
    vibe_ok: int

    def __init__(self):
        for name in COUNTERS:
            setattr(self, name, 0)
        self.fees = Decimal(0)
        self.confirmation = LogHistogram()  # confirmation_ms of successful trades
        self.vibe_ms = LogHistogram()  # duration_ms of /vibe commands
        self.ws: list | None = None  # [epoch, connected]
        self.db_pool: list | None = None  # [epoch, in_use, size]
        self.rpc_ok: list | None = None  # [epoch, endpoint] of the latest ok rpc_status
        self.rate_limit: dict[str, list] = {}  # api -> [epoch, used, limit]

    def add(self, event: dict, ts_epoch: float) -> None:
        kind = event["type"]
        if kind == "trade":
            self.trades += 1
            if event["success"]:
                self.trades_ok += 1
                self.confirmation.add(float(event["confirmation_ms"]))
            if event["via"] == "bags":
                self.bags += 1
                self.bags_ok += bool(event["success"])
                self.bags_failed += not event["success"]
            else:
                self.jupiter += 1
            if event.get("take_profit_pct") is None or event.get("stop_loss_pct") is None:
                self.without_tpsl += 1
            if event.get("demo"):
                self.demo += 1
                self.demo_ok += bool(event["success"])
            self.fees += Decimal(event.get("partner_fee_sol") or 0)
        elif kind == "command":
            self.commands += 1
            self.commands_failed += not event["ok"]
            if event["name"] == "/vibe":
                self.vibe += 1
                self.vibe_ms.add(float(event["duration_ms"]))
                self.vibe_commands += 1
                self.vibe_ok += bool(event["ok"])
            elif event["name"] == "/demo":
                self.demo_commands += 1
                self.demo_commands_ok += bool(event["ok"])
        elif kind == "tp_trigger":
            self.tp += 1
        elif kind == "sl_trigger":
            self.sl += 1
        elif kind == "ws_status":
            self.ws = _later(self.ws, [ts_epoch, event["connected"]])
        elif kind == "db_pool":
            self.db_pool = _later(self.db_pool, [ts_epoch, event["in_use"], event["size"]])
        elif kind == "rate_limit":
            api = event["api"]
            self.rate_limit[api] = _later(self.rate_limit.get(api),
                                          [ts_epoch, event["used"], event["limit"]])
        elif kind == "rpc_status" and event["ok"]:
            self.rpc_ok = _later(self.rpc_ok, [ts_epoch, event["endpoint"]])

    def merge(self, other: "Tally") -> None:
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.fees += other.fees
        self.confirmation.merge(other.confirmation)
        self.vibe_ms.merge(other.vibe_ms)
        self.ws = _later(self.ws, other.ws)
        self.db_pool = _later(self.db_pool, other.db_pool)
        self.rpc_ok = _later(self.rpc_ok, other.rpc_ok)
        for api, reading in other.rate_limit.items():
            self.rate_limit[api] = _later(self.rate_limit.get(api), reading)

    def to_json(self) -> dict:
        data = {name: getattr(self, name) for name in COUNTERS}
        data |= {"fees": str(self.fees), "confirmation": self.confirmation.to_json(),
                 "vibe_ms": self.vibe_ms.to_json(), "ws": self.ws, "db_pool": self.db_pool,
                 "rpc_ok": self.rpc_ok, "rate_limit": self.rate_limit}
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Tally":
        t = cls()
        for name in COUNTERS:
            setattr(t, name, data.get(name, 0))
        t.fees = Decimal(data.get("fees", "0"))
        t.confirmation = LogHistogram.from_json(data.get("confirmation"))
        t.vibe_ms = LogHistogram.from_json(data.get("vibe_ms"))
        t.ws, t.db_pool, t.rpc_ok = data.get("ws"), data.get("db_pool"), data.get("rpc_ok")
        t.rate_limit = dict(data.get("rate_limit") or {})
        return t
