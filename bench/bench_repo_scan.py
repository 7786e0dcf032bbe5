"""Benchmark: a scan of the bot's repository against plain `ruff check` of the same tree.

A generated tree (BENCH_REPO_FILES files, default 3,000, of ~333 lines each: ~1 M
lines) in a temporary directory: trading-bot-like modules, one in
BENCH_REPO_SLEEPY_EVERY (default 4) with sleep() calls or a store reference (the
files the lexer reads), a few syntax errors, long files, a
vendored .venv. Timed BENCH_REPEAT times each way, interleaved (scan, ruff, scan,
ruff ...), best of each:
- scan: `repo_scan_run` (walk, read, lines, CPython's ast where needed, ruff once with
  the pinned lint and security rules, the RepoScan row on a scratch SQLite database);
- plain: `ruff check --no-cache --isolated --select <BOT_REPO_RUFF_SELECT> <tree>`.
Target: scan / plain <= 2; exits non-zero when missed. BENCH_REPO_SLEEPY_EVERY=1
is the worst case (every file has sleep() calls and stores).
"""

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET = 2.0

MODULE = '''"""Strategy module {n}: generated for the benchmark."""

import asyncio
import json
import logging

log = logging.getLogger(__name__)


'''
CLASS = '''class Strategy{n}_{k}:
    """Watches pool {k} and trades when the spread allows it."""

    def __init__(self, rpc, wallet, limit={k}):
        self.rpc = rpc
        self.wallet = wallet
        self.limit = limit
        self.seen = {{}}

    def quote(self, mint, amount):
        price = self.rpc.price(mint)
        if price is None or amount <= 0:
            return None
        fee = amount * 0.003
        return {{"mint": mint, "amount": amount, "price": price, "fee": fee}}

    def decide(self, quotes):
        best = None
        for quote in quotes:
            if quote is None:
                continue
            if best is None or quote["price"] < best["price"]:
                best = quote
        return best

    async def run(self, mints):
        while True:
            quotes = [self.quote(m, self.limit) for m in mints]
            best = self.decide(quotes)
            if best:
                log.info("trade %s", json.dumps(best))
                self.seen[best["mint"]] = best["price"]
{pause}
'''
PAUSES = ("            await asyncio.sleep(0.25)\n",
          "            self.rpc.sleep(1)\n",
          "            time.sleep(0.1)  # noqa: ASYNC251\n")
STORE = 'DB_PATH = "state/strategy_{n}.db"\nCACHE_URL = "redis://cache:6379/{k}"\n'


def generate(root: Path, *, files: int, sleepy_every: int) -> int:
    rng = random.Random(17)
    lines = 0
    for n in range(files):
        special = n % sleepy_every == 0
        parts = [MODULE.format(n=n)]
        if special:
            parts.insert(1, "import time\n")
            parts.append(STORE.format(n=n, k=n % 16) + "\n\n")
        for k in range(10):
            pause = rng.choice(PAUSES) if special else "            self.seen.clear()\n"
            parts.append(CLASS.format(n=n, k=k, pause=pause))
        if n % 500 == 7:
            parts.append("def broken(:\n    pass\n")
        if n % 300 == 3:
            parts.append("".join(f"TABLE_{i} = {i}\n" for i in range(800)))
        text = "".join(parts)
        lines += text.count("\n")
        folder = root / "bot" / f"pkg{n // 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"strategy_{n:04d}.py").write_text(text)
    vendored = root / ".venv" / "lib" / "site-packages"
    vendored.mkdir(parents=True)
    (vendored / "dep.py").write_text("import time\ntime.sleep(1)\n" * 500)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return lines


def main() -> int:
    files = int(os.environ.get("BENCH_REPO_FILES", "3000"))
    sleepy_every = int(os.environ.get("BENCH_REPO_SLEEPY_EVERY", "4"))
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    workdir = Path(tempfile.mkdtemp(prefix="opsportal-bench-repo-"))
    os.environ.update({"DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
                       "DJANGO_SETTINGS_MODULE": "opsportal.settings"})
    try:
        import django
        from django.core.management import call_command

        django.setup()
        from django.conf import settings

        from codescans.services import _tool, repo_scan_run

        call_command("migrate", verbosity=0)
        tree = workdir / "bot-repo"
        lines = generate(tree, files=files, sleepy_every=sleepy_every)
        plain_argv = [_tool("ruff"), "check", "--no-cache", "--isolated", "--exit-zero",
                      "--output-format", "json", "--select", settings.BOT_REPO_RUFF_SELECT,
                      str(tree)]
        scans, plains, scan = [], [], None
        for _ in range(repeat):  # interleaved, so a neighbour's burst hits both alike
            started = time.perf_counter()
            scan = repo_scan_run(repo_dir=str(tree), trigger="command")
            scans.append(time.perf_counter() - started)
            if scan.status != "succeeded":
                raise SystemExit(f"bench scan failed: {scan.error}")
            started = time.perf_counter()
            subprocess.run(plain_argv, check=True, capture_output=True)
            plains.append(time.perf_counter() - started)
        scan_s, plain_s = min(scans), min(plains)
        ratio = scan_s / plain_s
        print(f"  {files} files, {lines} lines generated ({scan.python_files} files and "
              f"{scan.python_lines} lines scanned; {scan.sleep_calls} sleep() calls, "
              f"{scan.lint_errors} lint, {scan.security_findings} security, "
              f"{len(scan.unparsable)} unparsable, {scan.data_store_count} stores)")
        print(f"  scan {scan_s:.2f} s (runs {', '.join(f'{s:.2f}' for s in scans)}), "
              f"ruff check {plain_s:.2f} s (runs {', '.join(f'{s:.2f}' for s in plains)}), "
              f"best of {repeat}; 1 file in {sleepy_every} has sleep() calls and stores")
        print(f"repo scan vs ruff check: {ratio:.2f}x (target <= {TARGET:g})")
        print(f"RESULT\trepo scan / ruff check\t{ratio:.3f}\t<= {TARGET:g}\t"
              f"{scan_s:.2f} s vs {plain_s:.2f} s, {lines} lines", flush=True)
        return 0 if ratio <= TARGET else 1
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
