"""`make staging`: a production-shaped deployment rehearsal on this machine.

Starts gunicorn + a Celery worker + beat on a throwaway PostgreSQL database and
a private Redis (broker and cache), with PRODUCTION=1 settings; then preflight,
smoke tests, a bounded Locust load test on loopback, and a rollback rehearsal
(the previous release's code, its migrations applied back, smoke tests again,
then forward again). The outcome is recorded as a Deployment in the portal's
own database (DATABASE_URL of the caller, SQLite under var/ by default).

Every process it starts is stopped on exit, Ctrl-C or a failure; the whole run
is bounded by --deadline seconds.
"""

import argparse
import csv
import datetime
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[staging {time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True, timeout=60).stdout.strip()


class Sink(BaseHTTPRequestHandler):
    """Stands in for the outside world: a webhook channel and a healthy Solana RPC."""

    def do_POST(self):  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "result": "ok"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def record_in_portal(summary: dict):
    """Store the summary as a rehearsal the portal saw (imported=False), in-process."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from deployments.services import deployment_record

    return deployment_record(summary=summary, imported=False)


def load_test_run(*, base_url: str, token: str, users: int, seconds: int, prefix: Path,
                  env: dict, timeout: float) -> dict:
    """Locust, headless and bounded; the totals and per-endpoint numbers from its CSV."""
    subprocess.run(
        [str(BIN / "locust"), "-f", str(ROOT / "deploy" / "locustfile.py"), "--headless",
         "--host", base_url, "--users", str(users), "--spawn-rate", str(users),
         "--run-time", f"{seconds}s", "--stop-timeout", "5", "--csv", str(prefix),
         "--only-summary", "--loglevel", "WARNING"],
        cwd=ROOT, env={**env, "LOAD_TOKEN": token}, capture_output=True, timeout=timeout)
    with open(f"{prefix}_stats.csv") as fh:
        rows = {row["Name"]: row for row in csv.DictReader(fh)}

    def numbers(row):
        return {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 1),
                "p95_ms": float(row["95%"]) if row["95%"] != "N/A" else None}

    load = numbers(rows.pop("Aggregated"))
    load.update(users=users, seconds=seconds,
                endpoints={name: numbers(row) for name, row in rows.items()})
    return load


class Rehearsal:
    def __init__(self, args):
        self.args = args
        self.run_id = f"{datetime.datetime.now(datetime.UTC):%Y%m%d%H%M%S}-{os.getpid()}"
        self.dir = ROOT / "var" / "staging" / self.run_id
        self.logs = self.dir / "logs"
        self.logs.mkdir(parents=True)
        self.deadline = time.monotonic() + args.deadline
        self.procs: dict[str, subprocess.Popen] = {}
        self.cleanups: list = []
        self.steps: list[dict] = []
        self.check_runs: list[dict] = []
        self.summary: dict = {"environment": "staging", "ok": False, "load": {},
                              "rollback_ok": None, "error": ""}

    # --- plumbing -------------------------------------------------------------
    def remaining(self, cap: float) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"the rehearsal passed its {self.args.deadline} s deadline")
        return min(cap, left)

    def step(self, name: str, ok: bool, detail: str = "") -> None:
        self.steps.append({"at": datetime.datetime.now(datetime.UTC).isoformat(),
                           "step": name, "ok": ok, "detail": detail})
        say(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")

    def manage(self, *args: str, env: dict, cwd: Path = ROOT, check: bool = True,
               timeout: float = 180) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=cwd, env=env,
                                capture_output=True, text=True, timeout=self.remaining(timeout))
        if check and result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["?"]
            raise RuntimeError(f"manage.py {' '.join(args)} failed: {tail[0]}")
        return result

    def start(self, name: str, cmd: list[str], env: dict, cwd: Path = ROOT) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        say(f"started {name} (pid {self.procs[name].pid})")

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        say(f"stopped {name}")

    def http(self, method: str, path: str, body: dict | None = None,
             token: str = "") -> tuple[int, dict]:
        headers = {"X-Forwarded-Proto": "https", "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.base_url + path, method=method, headers=headers,
                                         data=json.dumps(body).encode() if body else None)
        try:
            with urllib.request.urlopen(request, timeout=5) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, {}
        except (OSError, ValueError):
            return 0, {}

    def wait_for(self, what: str, predicate, timeout: float) -> None:
        end = time.monotonic() + self.remaining(timeout)
        while time.monotonic() < end:
            if predicate():
                return
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode} "
                                       f"(see {self.logs / (name + '.log')})")
            time.sleep(0.5)
        raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")

    # --- the production shape -------------------------------------------------
    def provision(self) -> None:
        import psycopg
        from cryptography.fernet import Fernet

        redis_port = free_port()
        redis = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=(self.logs / "redis.log").open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        self.procs["redis"] = redis
        self.db_name = f"ops_staging_{self.run_id.replace('-', '_')}"
        with psycopg.connect(self.args.pg_admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.cleanups.append(self.drop_database)
        base = self.args.pg_admin_url.rsplit("/", 1)[0]
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        data = self.dir / "data"
        self.env = {
            **{k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}},
            "PYTHONUNBUFFERED": "1", "DEBUG": "0", "PRODUCTION": "1", "BEHIND_PROXY": "1",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{self.port}",
            "DATABASE_URL": f"{base}/{self.db_name}",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
            "CACHE_URL": f"redis://127.0.0.1:{redis_port}/1",
            "BACKUP_DIR": str(data / "backups"), "WALLET_KEYS_DIR": str(data / "wallet_keys"),
            # Required (common/deploy_rules.py); nothing listens: the rehearsal never reconnects.
            "BOT_CONTROL_URL": "http://127.0.0.1:9/control",
            "LOG_DIR": str(self.logs), "STATIC_ROOT": str(data / "static"),
            "BACKUP_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "DOCS_SITE_DIR": str(ROOT / "var" / "site"), "LOG_FORMAT": "json",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(self.args.workers),
            # The load test measures capacity with one token: the per-token ingest
            # throttle (600/min by default, tested in tests/common/test_rate_limits.py)
            # stays on but high enough not to turn the measurement into 429s, nor to
            # throttle the smoke test that follows the rollback.
            "INGEST_RATE_LIMIT": "1000000/m",
        }
        self.wait_for("redis", lambda: subprocess.run(
            ["redis-cli", "-p", str(redis_port), "ping"], capture_output=True,
            text=True).stdout.strip() == "PONG", 15)
        self.step("provision", True, f"PostgreSQL database {self.db_name}, "
                                     f"Redis on port {redis_port}")

    def drop_database(self) -> None:
        import psycopg

        with psycopg.connect(self.args.pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        say(f"dropped database {self.db_name}")

    def release(self) -> None:
        env = self.env
        self.manage("migrate", "--noinput", env=env)
        self.manage("bootstrap", env=env)
        self.manage("collectstatic", "--noinput", env=env)
        out = self.manage("create_api_token", "staging-rehearsal", "--scopes",
                          "ingest,read,write", env=env).stdout
        self.token = out.strip().splitlines()[-1]
        self.step("release", True, "migrated, bootstrapped, static collected, token created")

    def start_services(self, code: Path) -> None:
        env = {**self.env, "PYTHONPATH": str(code)}
        self.start("web", [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
                           "--chdir", str(code), "opsportal.wsgi"], env, cwd=code)
        self.start("worker", [str(BIN / "celery"), "-A", "opsportal", "worker", "--loglevel",
                              "INFO", "--concurrency", "2", "--hostname",
                              f"staging-{self.run_id}@%h"], env, cwd=code)
        self.start("beat", [str(BIN / "celery"), "-A", "opsportal", "beat", "--loglevel",
                            "INFO", "--pidfile=", "--schedule", str(self.dir / "beat")],
                   env, cwd=code)
        self.wait_for("/health", lambda: self.http("GET", "/health")[0] == 200, 60)

    def stop_services(self) -> None:
        for name in ("beat", "worker", "web"):
            self.stop(name)

    def configure_outside_world(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.cleanups.append(server.shutdown)
        sink = f"127.0.0.1:{server.server_address[1]}"
        made = []
        for path, body in [
            ("/api/v1/notification-channels",
             {"name": "staging webhook", "url": f"json://{sink}/notify", "min_severity": "info"}),
            ("/api/v1/rpc/endpoints",
             {"name": "staging rpc", "url": f"http://{sink}/rpc", "priority": 0}),
        ]:
            code, _ = self.http("POST", path, body, token=self.token)
            made.append(f"{path} " + {201: "created", 404: "not in this release"}.get(
                code, f"HTTP {code}"))
            if code not in (201, 404):
                raise RuntimeError(f"POST {path} answered HTTP {code}")
        self.step("configure channels and RPC", True, ", ".join(made))

    # --- the checks -------------------------------------------------------------
    def preflight(self) -> bool:
        def scheduler_ok():
            code, body = self.http("GET", "/health")
            return body.get("checks", {}).get("scheduler", {}).get("ok")

        self.wait_for("the first scheduler heartbeat", scheduler_ok, 90)
        path = self.dir / "preflight.json"
        result = self.manage("preflight", "--base-url", self.base_url, "--json", str(path),
                             env=self.env, check=False)
        print(result.stdout, flush=True)
        self.check_runs.append(json.loads(path.read_text()))
        self.step("preflight", result.returncode == 0, result.stderr.strip().splitlines()[-1]
                  if result.returncode else "all checks passed")
        return result.returncode == 0

    def smoke(self, label: str, expect_hsts: bool, older_release: bool = False) -> bool:
        path = self.dir / f"smoke-{label}.json"
        args = ["smoke_test", "--base-url", self.base_url, "--token", self.token,
                "--behind-proxy", "--no-record", "--json", str(path)]
        args += ["--expect-hsts"] if expect_hsts else []
        args += ["--skip-absent"] if older_release else []
        result = self.manage(*args, env=self.env, check=False)
        print(result.stdout, flush=True)
        self.check_runs.append(json.loads(path.read_text()))
        self.step(f"smoke test ({label})", result.returncode == 0,
                  result.stderr.strip().splitlines()[-1] if result.returncode else "passed")
        return result.returncode == 0

    def load_test(self) -> None:
        say(f"load test: {self.args.users} users for {self.args.run_time} s against "
            f"{self.base_url}")
        load = load_test_run(base_url=self.base_url, token=self.token, users=self.args.users,
                             seconds=self.args.run_time, prefix=self.dir / "locust",
                             env={**self.env, "LOAD_BEHIND_PROXY": "1"},
                             timeout=self.remaining(self.args.run_time + 60))
        self.summary["load"] = load
        self.step("load test", load["failures"] == 0,
                  f"{load['requests']} requests, {load['rps']} req/s, p95 {load['p95_ms']} ms, "
                  f"{load['failures']} errors")

    # --- rollback -------------------------------------------------------------
    def previous_ref(self) -> str:
        if self.args.previous:
            return git("rev-parse", "--verify", f"{self.args.previous}^{{commit}}")
        # Default: the release just before the newest schema change, so the
        # rehearsal really applies migrations back (a tag, when there is one).
        tags = git("tag", "--sort=-creatordate", "--merged", "HEAD").splitlines()
        head = git("rev-parse", "HEAD")
        for tag in tags:
            sha = git("rev-parse", f"{tag}^{{commit}}")
            if sha != head:
                return sha
        newest = git("log", "--first-parent", "-1", "--format=%H", "--", "*/migrations/0*.py")
        return git("rev-parse", f"{newest}^1")

    def migration_targets(self, ref: str) -> dict[str, str]:
        """app -> the migration to go back to (or "zero") for apps `ref` has fewer of."""
        targets = {}
        for path in sorted(ROOT.glob("*/migrations/0*.py")):
            app = path.parent.parent.name
            if app in targets:
                continue
            here = sorted(p.stem for p in path.parent.glob("0*.py"))
            listing = subprocess.run(["git", "ls-tree", "--name-only", ref, f"{app}/migrations/"],
                                     cwd=ROOT, capture_output=True, text=True).stdout
            there = sorted(Path(p).stem for p in listing.split()
                           if re.match(r"0\d+_.*\.py$", Path(p).name))
            if set(here) - set(there):
                targets[app] = there[-1] if there else "zero"
        return targets

    def rollback(self) -> bool:
        ref = self.previous_ref()
        self.summary["previous_version"] = ref[:12]
        tree = self.dir / "previous"
        git("worktree", "add", "--detach", str(tree), ref)
        self.cleanups.append(lambda: git("worktree", "remove", "--force", str(tree)))
        targets = self.migration_targets(ref)
        self.stop_services()
        for app, target in targets.items():
            # The current code knows how to reverse its own migrations.
            self.manage("migrate", app, target, "--noinput", env=self.env)
        self.step("migrations applied back", True,
                  ", ".join(f"{a} -> {t}" for a, t in targets.items()) or "none differ")
        check = self.manage("migrate", "--check", env={**self.env, "PYTHONPATH": str(tree)},
                            cwd=tree, check=False)
        self.step("previous release's schema complete", check.returncode == 0,
                  "no unapplied migrations for the previous code" if check.returncode == 0
                  else "the previous code still has unapplied migrations")
        self.start_services(tree)
        self.step("previous release running", True, f"{ref[:12]} from {tree}")
        ok = self.smoke("after rollback", expect_hsts=False, older_release=True)
        ok = ok and check.returncode == 0
        self.stop_services()
        self.manage("migrate", "--noinput", env=self.env)
        self.step("rolled forward", True, "current migrations applied again")
        return ok

    # --- the whole run ------------------------------------------------------------
    def run(self) -> int:
        self.summary["version"] = git("describe", "--always", "--dirty")
        self.summary["started_at"] = datetime.datetime.now(datetime.UTC).isoformat()
        ok = False
        try:
            self.provision()
            self.release()
            self.start_services(ROOT)
            self.step("services running", True, f"gunicorn on {self.base_url}, worker, beat")
            self.configure_outside_world()
            preflight_ok = self.summary["preflight_ok"] = self.preflight()
            smoke_ok = self.summary["smoke_ok"] = self.smoke("release", expect_hsts=True)
            self.load_test()
            rollback_ok = self.rollback()
            self.summary["rollback_ok"] = rollback_ok
            ok = preflight_ok and smoke_ok and rollback_ok
        except (Exception, KeyboardInterrupt) as exc:
            self.summary["error"] = f"{type(exc).__name__}: {exc}"
            self.step("rehearsal aborted", False, self.summary["error"])
        finally:
            for name in list(self.procs):
                self.stop(name)
            for cleanup in reversed(self.cleanups):
                try:
                    cleanup()
                except Exception as exc:  # keep cleaning up the rest
                    say(f"cleanup failed: {exc}")
        self.summary.update(ok=ok, steps=self.steps, check_runs=self.check_runs)
        self.record()
        self.report()
        return 0 if ok else 1

    def record(self) -> None:
        """Record the rehearsal in the portal's database from this process.

        Not through `record_deployment`: that command imports a hand-fed summary,
        which the launch checklist never counts. What this process saw is recorded
        as seen (imported=False); summary.json stays next to the logs for reading.
        """
        path = self.dir / "summary.json"
        path.write_text(json.dumps(self.summary, indent=2))
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT,
                       env=dict(os.environ), check=False, timeout=300)
        try:
            deployment = record_in_portal(self.summary)
        except Exception as exc:  # the report below still prints the outcome
            say(f"recording failed: {type(exc).__name__}: {exc}")
            return
        say(f"recorded deployment {deployment.pk} ({deployment.status}); the launch "
            f"checklist picks it up on its next verification (manage.py verify_checklist)")

    def report(self) -> None:
        load = self.summary["load"]
        verdict = {True: "passed", False: "FAILED", None: "not reached"}
        print("\n== Staging rehearsal", "PASSED" if self.summary["ok"] else "FAILED")
        print(f"release {self.summary['version']}: preflight "
              f"{verdict[self.summary.get('preflight_ok')]}, smoke test "
              f"{verdict[self.summary.get('smoke_ok')]}")
        if load:
            print(f"load test: {load['users']} users, {load['seconds']} s: {load['requests']} "
                  f"requests, {load['rps']} req/s, p95 {load['p95_ms']} ms, "
                  f"{load['failures']} errors")
            for name, n in load["endpoints"].items():
                print(f"  {name:<22} {n['requests']:>6} req  {n['rps']:>6} req/s  "
                      f"p95 {n['p95_ms']} ms  errors {n['failures']}")
        print(f"rollback to {self.summary.get('previous_version', '-')}: "
              f"{verdict[self.summary['rollback_ok']]}")
        if self.summary["error"]:
            print(f"error: {self.summary['error']}")
        print(f"logs: {self.logs}")


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--run-time", type=int, default=30, help="load test seconds")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--previous", default=os.environ.get("STAGING_PREVIOUS_REF", ""),
                        help="git ref of the release to roll back to")
    parser.add_argument("--pg-admin-url", default=os.environ.get(
        "STAGING_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--deadline", type=int, default=600, help="seconds for the whole run")
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        print("staging: redis-server is not installed (apt-get install redis-server)")
        return 2
    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C: every process is stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    return Rehearsal(args).run()


if __name__ == "__main__":
    sys.exit(main())
