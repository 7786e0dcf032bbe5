"""A mergeable log-bucketed latency histogram (the DDSketch idea) stored as JSON.

Why our own: Datadog's `ddsketch` serialises only to protobuf (an extra
dependency and an opaque blob in a JSON column); the part we need is a dozen
lines. A value v > 0 falls in bucket i = ceil(log_gamma(v)); every value in a
bucket is within (gamma - 1) / (gamma + 1) ≈ 0.99 % of the bucket's estimate
2 * gamma**i / (gamma + 1) for gamma = 1.02, so quantiles carry ≤ 1 % relative
error. Buckets merge by adding counts, which is what per-minute rollups need.
"""

import math

GAMMA = 1.02
_LOG_GAMMA = math.log(GAMMA)
# Values at or below this (0 ms latencies) are counted apart: log(0) is undefined.
_MIN_POSITIVE = 1e-6


class LogHistogram:
    __slots__ = ("buckets", "zeros", "count")

    def __init__(self, buckets: dict[int, int] | None = None, zeros: int = 0):
        self.buckets: dict[int, int] = dict(buckets or {})
        self.zeros = zeros
        self.count = zeros + sum(self.buckets.values())

    def add(self, value: float) -> None:
        if value <= _MIN_POSITIVE:
            self.zeros += 1
        else:
            i = math.ceil(math.log(value) / _LOG_GAMMA)
            self.buckets[i] = self.buckets.get(i, 0) + 1
        self.count += 1

    def merge(self, other: "LogHistogram") -> None:
        for i, n in other.buckets.items():
            self.buckets[i] = self.buckets.get(i, 0) + n
        self.zeros += other.zeros
        self.count += other.count

    def quantile(self, q: float) -> float | None:
        """The value of rank floor(q * (count - 1)) in sorted order, ±1 %; None if empty."""
        if not self.count:
            return None
        rank = math.floor(q * (self.count - 1))
        seen = self.zeros
        if rank < seen:
            return 0.0
        for i in sorted(self.buckets):
            seen += self.buckets[i]
            if rank < seen:
                return 2 * GAMMA**i / (GAMMA + 1)
        raise AssertionError("unreachable: rank is below count")

    def to_json(self) -> dict:
        # JSON object keys are strings; sorted so equal histograms serialise equally.
        return {"z": self.zeros, "b": {str(i): self.buckets[i] for i in sorted(self.buckets)}}

    @classmethod
    def from_json(cls, data: dict | None) -> "LogHistogram":
        data = data or {}
        return cls({int(i): n for i, n in data.get("b", {}).items()}, data.get("z", 0))
