"""`make bench`: run every bench/bench_*.py (each bounded in time) and print their ratios."""

import platform
import subprocess
import sys
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
TIMEOUT = 300  # seconds per benchmark


def main() -> int:
    results, failed = [], []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        started = time.monotonic()
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                              timeout=TIMEOUT, cwd=HERE.parent)
        for line in proc.stdout.splitlines():
            if line.startswith("RESULT\t"):
                results.append(line.split("\t")[1:])
            else:
                print("  " + line)
        if proc.returncode:
            failed.append(script.name)
            print(proc.stderr[-3000:])
        print(f"   ({time.monotonic() - started:.0f} s)")
    print(f"\nmachine: {platform.platform()}, {psutil.cpu_count()} CPUs, "
          f"{psutil.virtual_memory().total / 2**30:.1f} GiB, Python {platform.python_version()}")
    print(f"{'ratio':<42}{'value':>8}  target  detail")
    for name, value, target, detail in results:
        print(f"{name:<42}{value:>8}  {target:<7} {detail}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
