"""Benchmark of the padrón reducido del RUC: load 15,000,000 lines, then look RUCs and names up.

    .venv/bin/python bench/padron.py [LINES] [--seed S] [--keep]
    .venv/bin/python bench/padron.py --generate-only [LINES]      # only write the file
    .venv/bin/python bench/padron.py --prepare                    # database only: migrate, seed, keep
    .venv/bin/python bench/padron.py --database NAME [--skip-load] # measure in that kept database

The file is a zip written by padron.sample (Latin-1, header, "-" for empty fields, trailing
pipes, stray spaces), kept in .local/bench/ for the next run (writing 15M lines takes minutes).
In a throwaway database (as bench/seed.py makes) it loads a small padrón first, then runs
`manage.py load_padron` on the big one as its own process, the way the worker would, and
prints: lines/s of the whole load (reading, COPY, indexes, swap), the process's peak memory,
the disk the padrón takes, lookups by RUC made WHILE it loads (they read the previous padrón
until the swap), then lookup by RUC p50/p95 and name search p50/p95 on the loaded padrón.
See bench/README.md.
"""

import argparse
import contextlib
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

import seed as seed_bench  # noqa: E402  (bench/seed.py: the throwaway database helpers)
from seed import percentile  # noqa: E402

BENCH_DIR = ROOT / ".local" / "bench"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", nargs="?", type=int, default=15_000_000, help="líneas (por defecto 15,000,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="no borrar la base de datos al terminar")
    parser.add_argument("--generate-only", action="store_true", help="solo escribir el archivo")
    parser.add_argument(
        "--clientes", type=int, default=20_000, help="clientes sembrados, la mitad con RUC del padrón (refresco)"
    )
    parser.add_argument(
        "--prepare", action="store_true", help="solo crear la base (migrada, con clientes) y conservarla, sin medir"
    )
    parser.add_argument("--database", help="medir en esta base ya preparada (--prepare), sin crearla ni borrarla")
    parser.add_argument(
        "--skip-load", action="store_true", help="no cargar: medir las consultas sobre el padrón ya cargado"
    )
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # inner process: the file
    args = parser.parse_args()
    if args.measure:
        return _measure(Path(args.measure), args)
    path = padron_file(args.lines, args.seed)
    if args.generate_only:
        return 0
    inner = [sys.executable, __file__, "--measure", str(path), "--seed", str(args.seed)]
    if args.skip_load:
        inner.append("--skip-load")
    if args.database:
        _admin, url = seed_bench._server()  # starts the embedded server for this run if needed
        env = {**os.environ, "DATABASE_URL": url.replace("{name}", args.database)}
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "createcachetable"], env=env, check=True, cwd=ROOT)
        return subprocess.run(inner, env=env, cwd=ROOT).returncode
    with seed_bench.throwaway_database("bench_padron", keep=args.keep or args.prepare) as env:
        for command in (["migrate", "-v0"], ["createcachetable"]):  # the lupa caches answers (settings.CACHES)
            subprocess.run([sys.executable, str(ROOT / "manage.py"), *command], env=env, check=True, cwd=ROOT)
        if args.clientes:
            manage = [sys.executable, str(ROOT / "manage.py"), "seed_customers", str(args.clientes)]
            subprocess.run(manage, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        if args.prepare:
            print("Preparada: mida con --database " + urlsplit(env["DATABASE_URL"]).path.lstrip("/"))
            return 0
        return subprocess.run(inner, env=env, cwd=ROOT).returncode


def padron_file(lines: int, seed: int) -> Path:
    from padron.sample import write_padron

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"padron_{lines}_{seed}.zip"
    if path.exists():
        print(f"Archivo {path} ({path.stat().st_size / 1e6:,.0f} MB) ya generado.", flush=True)
        return path
    print(f"Generando {lines:,} líneas en {path} …", flush=True)
    began = time.perf_counter()
    partial = path.with_suffix(".partial")
    write_padron(partial, lines, seed=seed, as_zip=True)
    partial.rename(path)
    print(f"Generado en {time.perf_counter() - began:.0f} s ({path.stat().st_size / 1e6:,.0f} MB).", flush=True)
    return path


# --- inside Django ---------------------------------------------------------------------------


def _measure(path: Path, args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import psutil
    from django.db import connection

    from padron import queries
    from padron.models import PadronLoad
    from padron.sample import make_ruc

    load_figures = None
    if not args.skip_load:
        load_figures = _load_big(path, connection, psutil, seed=args.seed)
        if load_figures is None:
            return 1
    load = PadronLoad.objects.get(is_current=True)
    seconds = (load.finished_at - load.started_at).total_seconds()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_relation_size('padron_taxpayer'), pg_indexes_size('padron_taxpayer'), "
            "pg_size_pretty(pg_database_size(current_database()))"
        )
        table_bytes, index_bytes, database = cursor.fetchone()

    zip_gb = path.stat().st_size / 1e9
    rows = [
        f"Carga de {load.lines_read:,} líneas ({load.taxpayer_count:,} RUC, {load.rows_rejected:,} rechazadas)",
        f"  la carga (lectura, COPY, índices, reemplazo): {seconds:.1f} s → {load.lines_read / seconds:,.0f} líneas/s",
    ]
    if load_figures:
        elapsed, peak, load_cpu, server_cpu, during, errors, list_before, list_during, wal = load_figures
        rows += [
            f"  el proceso load_padron entero (con el arranque de Django): {elapsed:.1f} s",
            f"  CPU: load_padron {load_cpu:.0f} s ({load.lines_read / load_cpu if load_cpu else 0:,.0f} líneas por "
            f"segundo de CPU), PostgreSQL {server_cpu:.0f} s",
            f"  memoria máxima del proceso (RSS): {peak / 1024 / 1024:.0f} MB",
            f"  WAL escrito durante la carga (todo el servidor): {wal / 1e9:.2f} GB",
            f"  consultas por RUC durante la carga (al padrón anterior): {len(during)}, "
            f"p95 {percentile(during, 0.95):.1f} ms, máx {max(during):.1f} ms, {len(errors)} errores",
            f"  lista de clientes ({len(LIST_PAGES)} páginas distintas): antes de la carga p50 "
            f"{percentile(list_before, 0.5):.1f} ms, p95 {percentile(list_before, 0.95):.1f} ms; durante la carga "
            f"({len(list_during)}) p50 {percentile(list_during, 0.5):.1f} ms, "
            f"p95 {percentile(list_during, 0.95):.1f} ms, máx {max(list_during):.1f} ms",
        ]
    else:
        errors = []
        rows.append("  (carga anterior: esta corrida no cargó, --skip-load)")
    rows += [
        f"  disco: tabla {table_bytes / 1e9:.2f} GB + índices {index_bytes / 1e9:.2f} GB (base entera {database});",
        f"         durante el reemplazo conviven el padrón anterior y el nuevo; el zip pesa {zip_gb:.2f} GB",
        f"  carga media de la máquina al terminar: {os.getloadavg()[0]:.1f}",
    ]
    print("\n" + "\n".join(rows), flush=True)

    # Lookups by RUC: half in the padrón, half valid RUCs it lacks.
    rng = random.Random(args.seed)
    present = [f"{row[0]:011d}" for row in _sample_rucs(connection, 1000)]
    absent = [make_ruc("20", 99_000_000 + i) for i in range(1000)]
    rucs = present + absent
    rng.shuffle(rucs)
    by_ruc = _timed(queries.find_taxpayer, rucs)

    from customers.lookup import lookup_document

    by_lupa = _timed(lambda ruc: lookup_document(actor=None, kind="ruc", number=ruc), rucs[:500])

    # Name searches: surnames and company words alone and in pairs, 3-letter starts, misses.
    from padron.sample import COMPANY_WORDS, GIVEN_NAMES, SURNAMES

    terms = []
    for _ in range(100):
        terms.append(rng.choice(SURNAMES).lower())
        terms.append(f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)}".lower())
        terms.append(f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_WORDS)[:4]}".lower())
        terms.append(rng.choice(SURNAMES + COMPANY_WORDS)[:3].lower())
        terms.append(f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)} {rng.choice(GIVEN_NAMES)}".lower())
    terms += ["zzzz", "xq", "empresa que no existe"]
    by_name = _timed(queries.search_taxpayers, terms)

    rows = [
        "Consultas sobre el padrón cargado, en ms:",
        _line(f"RUC (queries.find_taxpayer, {len(rucs):,}, la mitad ausentes)", by_ruc),
        _line(f"RUC por la lupa (lookup_document, {len(rucs[:500])})", by_lupa),
        _line(f"nombre (search_taxpayers, {len(terms)} términos)", by_name),
    ]
    print("\n" + "\n".join(rows), flush=True)

    refreshed, refresh_seconds, customers = _refresh(connection, load)
    rows = [
        "",
        f"Refresco de estado/condición de clientes (loading.refresh_customers, {customers:,} clientes con RUC "
        f"del padrón): {refreshed:,} actualizados con historial y nota en {refresh_seconds:.1f} s "
        f"({refreshed / refresh_seconds if refresh_seconds else 0:,.0f} clientes/s)",
    ]
    print("\n" + "\n".join(rows))
    if errors:
        print("Errores durante la carga:", errors[:3])
    return 0


def _load_big(path: Path, connection, psutil, *, seed: int):
    """Load a small padrón, then run load_padron on ``path`` as its own process while this
    one looks RUCs up in the previous padrón: (wall seconds, peak RSS, CPU of load_padron, CPU
    of PostgreSQL, lookup times during the load, errors), or None when it failed."""
    from padron import queries, services
    from padron.sample import generate_lines, write_padron

    # The padrón in use before: 20,000 lines of another seed.
    small = BENCH_DIR / "padron_previo.txt"
    write_padron(small, generate_lines(20_000, seed=seed + 1, start=50_000_000))
    services.load_path(str(small))
    previous = [row[0] for row in _sample_rucs(connection, 500)]

    # The customer list before the load (the same pages as during it), to compare.
    list_before = _timed(_list_page, LIST_PAGES * 5)

    print(f"\nCargando {path.name} ({path.stat().st_size / 1e6:,.0f} MB) con manage.py load_padron …", flush=True)
    during: list[float] = []
    list_during: list[float] = []
    errors: list[str] = []
    stop = threading.Event()

    def lookups_meanwhile():
        """Every 50 ms, a RUC of the previous padrón and a page of the customer list."""
        from django.db import connection as thread_connection

        rng = random.Random(1)
        turn = 0
        while not stop.is_set():
            ruc = f"{rng.choice(previous):011d}"
            for function, argument, times in (
                (queries.find_taxpayer, ruc, during),
                (_list_page, LIST_PAGES[turn % len(LIST_PAGES)], list_during),
            ):
                began = time.perf_counter()
                try:
                    function(argument)
                except Exception as exc:  # noqa: BLE001  (counted and shown)
                    errors.append(repr(exc))
                times.append((time.perf_counter() - began) * 1000)
            turn += 1
            time.sleep(0.05)
        thread_connection.close()

    watcher = threading.Thread(target=lookups_meanwhile)
    watcher.start()
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "load_padron", str(path)],
        cwd=ROOT,
        env={**os.environ, "CLIENTES_SKIP_VENV": "1"},
        stdout=subprocess.PIPE,
        text=True,
    )
    peak = 0
    watched = psutil.Process(process.pid)
    # CPU seconds of the load (its process, and PostgreSQL's processes of this server): on a
    # machine shared with other work the wall clock says more about the others than about us.
    server = _server_processes(connection, psutil)
    server_before = _cpu(server)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        wal_before = cursor.fetchone()[0]
    load_cpu = 0.0
    reader = threading.Thread(  # each line of the command with the seconds since it started
        target=lambda: [
            print(f"  {time.perf_counter() - began:6.1f} s  {line}", end="", flush=True) for line in process.stdout
        ]
    )
    reader.start()
    while process.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, sum(p.memory_info().rss for p in [watched, *watched.children(recursive=True)]))
            times = watched.cpu_times()
            load_cpu = times.user + times.system
        server = _server_processes(connection, psutil, server)
        time.sleep(0.2)
    reader.join()
    elapsed = time.perf_counter() - began
    server_cpu = _cpu(server) - server_before
    stop.set()
    watcher.join()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", [wal_before])
        wal = float(cursor.fetchone()[0])
    if process.returncode:
        print(f"load_padron terminó con error ({process.returncode}).")
        return 1
    return elapsed, peak, load_cpu, server_cpu, during, errors, list_before, list_during, wal


# Pages of the customer list a cashier asks for (query strings of its URL), timed before and
# during a load: the list must not notice the padrón loading.
LIST_PAGES = ["", "q=garcia", "page=3", "q=inversiones", "estado=todos", "orden=-nombre", "padron=alerta", "q=lima"]


def _list_page(query: str) -> int:
    from django.http import QueryDict

    from customers import queries as customer_queries
    from customers.filters import CustomerFilterSet

    data = QueryDict(query)
    filterset = CustomerFilterSet(data, queryset=customer_queries.list_customers())
    page = customer_queries.paginate_customers(
        filterset.qs, page=data.get("page"), searching=filterset.searching, common_word=filterset.common_word
    )
    return len(page.rows)


def _server_processes(connection, psutil, known: dict | None = None) -> dict:
    """{pid: Process} of the PostgreSQL server this database lives on (its postmaster's
    children), when it runs on this machine; new ones are added to ``known``."""
    known = dict(known or {})
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT setting FROM pg_settings WHERE name = 'data_directory'")
            pid = int((Path(cursor.fetchone()[0]) / "postmaster.pid").read_text().split()[0])
        for child in psutil.Process(pid).children():
            known.setdefault(child.pid, child)
            with contextlib.suppress(psutil.Error):
                known[child.pid]._last = sum(child.cpu_times()[:2])
    except (OSError, ValueError, IndexError, psutil.Error):
        pass
    return known


def _cpu(processes: dict) -> float:
    return sum(getattr(p, "_last", 0.0) for p in processes.values())


def _refresh(connection, load) -> tuple[int, float, int]:
    """Give half the seeded companies a RUC of the padrón (their estado and condición empty, as
    never looked up), then time the refresh that follows a load."""
    from padron import loading

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers_customer WHERE document_type_id = '6'")
        companies = cursor.fetchone()[0]
        wanted = companies // 2
        if not wanted:
            return 0, 0.0, 0
        cursor.execute(
            """
            WITH c AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM customers_customer
                       WHERE document_type_id = '6' ORDER BY id LIMIT %s),
                 p AS (SELECT ruc, row_number() OVER () AS n FROM
                       (SELECT ruc FROM padron_taxpayer t TABLESAMPLE SYSTEM (1) WHERE NOT EXISTS
                        (SELECT 1 FROM customers_customer x WHERE x.document_type_id = '6'
                         AND x.document_number = lpad(t.ruc::text, 11, '0')) LIMIT %s) s)
            UPDATE customers_customer SET document_number = lpad(p.ruc::text, 11, '0'),
                   registry_status = '', registry_condition = '', registry_checked_at = NULL
            FROM c JOIN p USING (n) WHERE customers_customer.id = c.id
            """,
            [wanted, wanted],
        )
        customers = cursor.rowcount
    began = time.perf_counter()
    refreshed = loading.refresh_customers(load_id=load.pk)
    return refreshed, time.perf_counter() - began, customers


def _line(label: str, times: list[float]) -> str:
    return f"  {label:<52} p50 {percentile(times, 0.5):6.2f}   p95 {percentile(times, 0.95):6.2f}"


def _sample_rucs(connection, count: int):
    with connection.cursor() as cursor:
        cursor.execute("SELECT ruc FROM padron_taxpayer TABLESAMPLE SYSTEM (1) LIMIT %s", [count])
        rows = cursor.fetchall()
        if len(rows) < count:
            cursor.execute("SELECT ruc FROM padron_taxpayer ORDER BY random() LIMIT %s", [count])
            rows = cursor.fetchall()
        return rows


def _timed(function, arguments) -> list[float]:
    for argument in arguments[:20]:  # warm the connection and the plan
        function(argument)
    times = []
    for argument in arguments:
        began = time.perf_counter()
        function(argument)
        times.append((time.perf_counter() - began) * 1000)
    return times


if __name__ == "__main__":
    sys.exit(main())
