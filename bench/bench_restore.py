"""Benchmark: a restore drill's wall time against plain pg_dump + pg_restore.

Same PostgreSQL database, same run: a scratch database is migrated and filled
(BENCH_ROWS rows in a bench table besides the portal's own), backed up once by
the portal, then timed BENCH_REPEAT times each way (median):
- drill: `restore_drill_run` (checksum, pg_restore into a scratch database,
  row counts of every table against the manifest, Django checks, drop);
- plain: `pg_dump -Fc`, `createdb`, `pg_restore`, `dropdb`.
Target: drill / plain <= 1.2. Needs PostgreSQL (BENCH_PG_URL, default
postgres://postgres@127.0.0.1:5432/postgres) and its client tools.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> int:
    import environ
    import psycopg
    from psycopg import sql

    server_url = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    server = environ.Env.db_url_config(server_url)
    rows = int(os.environ.get("BENCH_ROWS", "200000"))
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    name = f"opsportal_bench_{uuid.uuid4().hex[:8]}"
    conninfo = psycopg.conninfo.make_conninfo(
        dbname=server["NAME"], user=server["USER"], host=server["HOST"] or "127.0.0.1",
        port=str(server["PORT"] or 5432))
    try:
        admin = psycopg.connect(conninfo, password=server["PASSWORD"] or None, autocommit=True,
                                connect_timeout=3)
    except psycopg.Error as exc:
        print(f"restore drill vs pg_dump+pg_restore: skipped (no PostgreSQL: {exc})")
        return 0
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    workdir = Path(tempfile.mkdtemp(prefix="opsportal-bench-"))
    os.environ.update({
        "DATABASE_URL": server_url.rsplit("/", 1)[0] + f"/{name}",
        "DJANGO_SETTINGS_MODULE": "opsportal.settings",
        "BACKUP_DIR": str(workdir / "backups"),
    })
    try:
        import django
        from django.core.management import call_command
        from django.db import connection

        django.setup()
        from backups.services import backup_run_now, restore_drill_run

        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_trades (id bigserial PRIMARY KEY, "
                           "mint text NOT NULL, amount numeric NOT NULL, at timestamptz)")
            cursor.execute("INSERT INTO bench_trades (mint, amount, at) SELECT md5(g::text), "
                           "g / 7.0, now() - g * interval '1 second' "
                           "FROM generate_series(1, %s) g", [rows])
            cursor.execute("CREATE INDEX ON bench_trades (mint)")
        backup = backup_run_now(kind="database", trigger="bench")
        if backup.status != "succeeded":
            raise SystemExit(f"bench backup failed: {backup.error}")

        def drill():
            result = restore_drill_run(run=backup, trigger="bench")
            if result.verdict != "passed":
                raise SystemExit(f"bench drill failed: {result.reason}")

        env = dict(os.environ, PGPASSWORD=server["PASSWORD"] or "")
        host = ["-h", server["HOST"] or "127.0.0.1", "-p", str(server["PORT"] or 5432),
                "-U", server["USER"]]
        dump = workdir / "plain.dump"

        def plain():
            scratch = f"{name}_plain"
            subprocess.run(["pg_dump", "-Fc", "-f", str(dump), *host, name], env=env,
                           check=True)
            subprocess.run(["createdb", *host, scratch], env=env, check=True)
            subprocess.run(["pg_restore", "--no-owner", "--no-privileges", *host,
                            "-d", scratch, str(dump)], env=env, check=True)
            subprocess.run(["dropdb", *host, scratch], env=env, check=True)

        drills, plains = [], []
        for _ in range(repeat):  # interleaved, so machine load hits both alike
            drills.append(_timed(drill))
            plains.append(_timed(plain))
        drill_s, plain_s = statistics.median(drills), statistics.median(plains)
        print(f"  {rows} bench rows, archive {backup.size_bytes / 2**20:.1f} MB; "
              f"drill {drill_s:.2f} s, pg_dump+pg_restore {plain_s:.2f} s (median of {repeat})")
        print(f"restore drill vs pg_dump+pg_restore: {drill_s / plain_s:.2f}x (target <= 1.2)")
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        admin.close()
        subprocess.run(["rm", "-rf", str(workdir)], check=False)


if __name__ == "__main__":
    sys.exit(main())
