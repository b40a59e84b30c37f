"""Benchmark of manage.py seed_customers: N customers into a throwaway database, then drop it.

    .venv/bin/python bench/seed.py [N] [--seed S] [--keep]

The database is created on the embedded PostgreSQL server (started for the run if needed),
or on DATABASE_URL's server when that is set; the project's own database is never touched.
See bench/README.md.
"""

import argparse
import contextlib
import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
FIGURE = re.compile(r"clientes en .* filas/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=1_000_000, help="clientes (por defecto 1,000,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="no borrar la base de datos al terminar")
    args = parser.parse_args()

    with throwaway_database("bench_seed", keep=args.keep) as env:
        figure = migrate_and_seed(env, count=args.count, seed=args.seed)
    print(f"\nResultado: {figure}")
    return 0


def migrate_and_seed(env: dict, *, count: int, seed: int) -> str:
    """Apply the migrations and run `seed_customers` in the database of ``env``, showing its
    progress; returns the command's final figure line."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    began = time.perf_counter()
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    print(f"Migraciones aplicadas en {time.perf_counter() - began:.1f} s.", flush=True)
    figure = _seed([*manage, "seed_customers", str(count), "--seed", str(seed)], env)
    vacuum(env["DATABASE_URL"])
    return figure


# The tables seed_customers fills. A real database of a million customers has long been vacuumed:
# its rows' hint bits are set and its pages all-visible. Freshly copied rows are neither, so
# without this the first benchmark after a seed would share the machine with autovacuum (and
# pay, in its own reads, for setting hint bits: each a full-page image in the WAL, as data
# checksums are on). Nor does it hold gigabytes of pages written but not yet on disk: a
# CHECKPOINT after the VACUUM, or the first benchmark would share the machine with the
# checkpointer writing the seed out (the import's end to end varied by 2–3 s with it).
# Neither is part of the seed's figure.
SEEDED_TABLES = ("customers_customer", "customers_address", "customers_customerphone", "customers_customeremail")


def vacuum(url: str) -> None:
    began = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in SEEDED_TABLES:
            conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):  # not a superuser nor in pg_checkpoint
            conn.execute("CHECKPOINT")
    print(
        f"VACUUM (ANALYZE) de las tablas sembradas y CHECKPOINT en {time.perf_counter() - began:.1f} s (no se mide).",
        flush=True,
    )


@contextmanager
def throwaway_database(prefix: str, *, keep: bool = False):
    """A new empty database for one benchmark run (dropped at the end unless `keep`); yields
    the environment whose DATABASE_URL points at it. The project's database is never touched."""
    admin, bench_url = _server()
    name = f"{prefix}_{os.getpid()}"
    bench_url = bench_url.replace("{name}", name)
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"Base de datos temporal {name} creada.", flush=True)
    try:
        yield {**os.environ, "DATABASE_URL": bench_url}
    finally:
        if keep:
            print(f"Base de datos conservada: DATABASE_URL={bench_url}")
        else:
            with psycopg.connect(**admin, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            print(f"Base de datos temporal {name} eliminada.")


def drop_indexes(connection, names: list[str], what: str) -> list[str]:
    """Drop the customers indexes named (for a pass without them); returns their definitions."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'customers_customer' AND indexname = ANY(%s)",
            [names],
        )
        found = cursor.fetchall()
        for index_name, _ in found:
            cursor.execute(f'DROP INDEX "{index_name}"')
        cursor.execute("ANALYZE customers_customer")
    print(f"\n{len(found)} índices {what} eliminados para la segunda pasada.", flush=True)
    return [definition for _, definition in found]


def restore_indexes(connection, definitions: list[str]) -> None:
    print("Reconstruyendo los índices …", flush=True)
    with connection.cursor() as cursor:
        for definition in definitions:
            cursor.execute(definition)
        cursor.execute("ANALYZE customers_customer")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _server() -> tuple[dict, str]:
    """Connection parameters for the maintenance database, and the URL of the bench database
    with a {name} placeholder."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        parts = urlsplit(url)
        return {"conninfo": url, "dbname": "postgres"}, urlunsplit(parts._replace(path="/{name}"))
    sys.path.insert(0, str(ROOT))
    from config import embedded

    # This process keeps the embedded server up until it exits (cleanup_mode="stop").
    host = embedded.socket_dir()
    return {"host": host, "user": "postgres", "dbname": "postgres"}, f"postgres://postgres@/{{name}}?host={quote(host)}"


def _seed(command: list[str], env: dict) -> str:
    figure = ""
    with subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        for line in process.stdout:
            print(line, end="", flush=True)
            if FIGURE.search(line):
                figure = line.strip()
    if process.returncode:
        raise SystemExit(f"seed_customers terminó con error ({process.returncode}).")
    return figure


def postgres_cpu() -> float:
    """CPU seconds of the embedded server's processes so far (live backends plus those reaped),
    for bench/importing.py and bench/preview.py: how much work, whatever else shares the machine."""
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:  # the server's folder: readable on this machine only
            cursor.execute("SELECT current_setting('data_directory')")
            pidfile = Path(cursor.fetchone()[0]) / "postmaster.pid"
        postmaster = int(pidfile.read_text().split()[0])
    except (DatabaseError, OSError, ValueError, IndexError):
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        if pid == postmaster:
            total += sum(int(x) for x in fields[11:15]) / tick  # utime, stime, cutime, cstime
        elif ppid == postmaster:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


if __name__ == "__main__":
    sys.exit(main())
