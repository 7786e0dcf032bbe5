"""Bench-only settings: production settings plus a bare JsonResponse view.

BENCH_NO_TIMING=1 drops the request-timing middleware, for its overhead ratio.
Kept under bench/ so production URLs never carry the bare view.
"""

import os

from opsportal.settings import *  # noqa: F403
from opsportal.settings import MIDDLEWARE

ROOT_URLCONF = "bench.health_urls"
if os.environ.get("BENCH_NO_TIMING") == "1":
    MIDDLEWARE = [m for m in MIDDLEWARE if not m.endswith("RequestTimingMiddleware")]
