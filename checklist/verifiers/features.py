"""Verifiers of the Features items and the benchmarks, from the bot's own events.

Each needs a minimum sample over its window (FEATURE_MIN_TRADES,
FEATURE_MIN_COMMANDS): a quiet bot is "no evidence", never a pass. The
numbers are monitoring's (`monitoring.selectors.features`), the same tallies
as /metrics; synthetic events never count.
"""

import math
from datetime import datetime

from django.conf import settings

from checklist.verifiers import Result, verifier
from monitoring.selectors.features import feature_evidence

DAY = "in the last 24 h"
VIBE_P95_MS = 2000
VIBE_OK_RATIO = 0.99
WEBSOCKET_RATIO = 0.99
CONFIRMATION_P95_MS = 500


def _ms(value: float) -> str:
    # Floored, so a shown number never contradicts the verdict (1,999.6 ms passes < 2,000).
    return f"{math.floor(value):,} ms"


def _pct(ratio: float) -> str:
    return f"{math.floor(ratio * 1000) / 10:.1f} %"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


@verifier("feature_demo")
def feature_demo(now: datetime) -> Result:
    demo = feature_evidence(now=now)["demo"]
    min_trades, min_commands = settings.FEATURE_MIN_TRADES, settings.FEATURE_MIN_COMMANDS
    trades, commands = demo["trades"], demo["commands"]
    if trades < min_trades or commands < min_commands:
        return False, (f"no evidence: {_plural(trades, 'demo trade')} and "
                       f"{_plural(commands, '/demo command')} {DAY}, need ≥ {min_trades:,} "
                       f"trades and ≥ {min_commands:,} commands"), None
    failed = []
    if demo["trades_ok"] < trades:
        failed.append(f"{trades - demo['trades_ok']:,} of {trades:,} demo trades")
    if demo["commands_ok"] < commands:
        failed.append(f"{commands - demo['commands_ok']:,} of {commands:,} /demo commands")
    if failed:
        return False, f"{' and '.join(failed)} failed {DAY}; needs every one to succeed", None
    return True, (f"all {trades:,} demo trades and {commands:,} /demo commands succeeded "
                  f"{DAY}"), None


@verifier("feature_vibe")
def feature_vibe(now: datetime) -> Result:
    vibe = feature_evidence(now=now)["vibe"]
    minimum = settings.FEATURE_MIN_COMMANDS
    n = min(vibe["commands"], vibe["p95_samples"])
    if n < minimum or vibe["p95_ms"] is None:
        return False, f"no evidence: {_plural(n, '/vibe command')} {DAY}, need ≥ {minimum:,}", None
    ratio = vibe["ok"] / vibe["commands"]
    passed = vibe["p95_ms"] < VIBE_P95_MS and ratio >= VIBE_OK_RATIO
    detail = (f"/vibe p95 {_ms(vibe['p95_ms'])} and {_pct(ratio)} ok over the last 24 h "
              f"({_plural(vibe['commands'], 'command')})")
    if not passed:
        detail += f"; needs p95 < {VIBE_P95_MS:,} ms and ≥ {VIBE_OK_RATIO * 100:g} % ok"
    return passed, detail, None


@verifier("feature_bags")
def feature_bags(now: datetime) -> Result:
    bags = feature_evidence(now=now)["bags"]
    minimum = settings.FEATURE_MIN_TRADES
    ok, tried = bags["trades_ok"], bags["trades"]
    if tried < minimum:
        return False, (f"no evidence: {_plural(tried, 'bags.fm trade')} {DAY}, "
                       f"need ≥ {minimum:,} successful"), None
    detail = f"{ok:,} of {tried:,} bags.fm trades succeeded {DAY}"
    if ok < minimum:
        return False, f"{detail}; needs ≥ {minimum:,} successful", None
    return True, detail, None


@verifier("feature_tpsl")
def feature_tpsl(now: datetime) -> Result:
    tpsl = feature_evidence(now=now)["tpsl"]
    minimum = settings.FEATURE_MIN_TRADES
    trades, without = tpsl["trades"], tpsl["without_tpsl"]
    if trades < minimum:
        return False, f"no evidence: {_plural(trades, 'trade')} {DAY}, need ≥ {minimum:,}", None
    if without:
        return False, (f"{without:,} of {trades:,} trades {DAY} had no take-profit or no "
                       f"stop-loss; needs 0"), None
    return True, f"all {trades:,} trades {DAY} had a take-profit and a stop-loss", None


@verifier("feature_websocket")
def feature_websocket(now: datetime) -> Result:
    ws = feature_evidence(now=now)["websocket"]
    ratio = ws["connected_ratio"]
    if ratio is None:
        return False, ("no evidence: no ws_status event from the bot in or before the "
                       "last hour"), None
    carried = ws["carried_in_from"]
    basis = [_plural(ws["events"], "ws_status event")]
    if carried is not None:
        basis.append(f"state carried in from {carried:%Y-%m-%d %H:%M:%S} UTC")
    elif ws["known_seconds"] < ws["window_seconds"]:
        basis.append(f"state known for {ws['known_seconds'] / 60:.0f} of 60 min")
    detail = f"websocket connected {_pct(ratio)} of the last hour ({', '.join(basis)})"
    passed = ratio >= WEBSOCKET_RATIO
    if not passed:
        detail += f"; needs ≥ {WEBSOCKET_RATIO * 100:g} %"
    return passed, detail, None


@verifier("performance_benchmarks")
def performance_benchmarks(now: datetime) -> Result:
    confirmation = feature_evidence(now=now)["confirmation"]
    minimum = settings.FEATURE_MIN_TRADES
    n, p95 = confirmation["samples"], confirmation["p95_ms"]
    if n < minimum or p95 is None:
        return False, (f"no evidence: {_plural(n, 'successful trade')} {DAY}, "
                       f"need ≥ {minimum:,}"), None
    detail = (f"confirmation p95 {_ms(p95)} over the last 24 h "
              f"({_plural(n, 'successful trade')})")
    passed = p95 < CONFIRMATION_P95_MS
    if not passed:
        detail += f"; needs < {CONFIRMATION_P95_MS:,} ms"
    return passed, detail, None
