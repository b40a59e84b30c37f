"""Benchmark of the import and the export at N customers (default 1,000,000).

    .venv/bin/python bench/importing.py [N] [--rows R] [--keep]
    .venv/bin/python bench/importing.py --database-url postgres://…   # reuse a seeded database

It creates a throwaway database (as bench/seed.py does) and seeds N customers, then:

1. writes an .xlsx of R rows (default 100,000; not timed): half of them existing customers
   (matched by RUC/DNI, one field changed), half new ones;
2. times the import end to end through customers.importing, as the page and the worker run
   it: upload checks, preview (read, clean, match, stage: the figure the user waits for), then
   the confirmed import (the staged rows checked again and written set-based, in two
   connections that commit together for a file this size — IMPORT_CONNECTIONS=1 for one —
   with one history record and one note per customer), its phases, and the customer list's
   p50/p95 during it and, for reference, just before it;
3. times django-import-export's default row-by-row ModelResource import of the first 300
   rows of the same file, for the ratio;
4. exports every customer to CSV (COPY) and the first 100,000 of a filtered list to .xlsx,
   each in a fresh process, printing rows/s and the process's peak memory.
See bench/README.md.
"""

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import seed as seed_bench  # noqa: E402  (bench/seed.py: the throwaway database helpers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=1_000_000, help="clientes (por defecto 1,000,000)")
    parser.add_argument("--rows", type=int, default=100_000, help="filas del archivo importado")
    parser.add_argument("--keep", action="store_true", help="no borrar la base de datos al terminar")
    parser.add_argument("--database-url", help="usar una base ya sembrada (no se crea ni se borra)")
    parser.add_argument("--solo-importacion", action="store_true", help="medir solo la importación")
    parser.add_argument("--solo-exportacion", action="store_true", help="medir solo las exportaciones")
    parser.add_argument(
        "--sin-comparacion", action="store_true", help="no medir django-import-export (la razón entre ambos)"
    )
    parser.add_argument(
        "--vacuum",
        action="store_true",
        help="VACUUM (ANALYZE) de las tablas que escribe la importación antes de medirla (no se mide)",
    )
    parser.add_argument(
        "--esperas", action="store_true", help="muestrear en qué espera PostgreSQL durante la importación confirmada"
    )
    parser.add_argument(
        "--sin-lista",
        action="store_true",
        help="no pedir la lista de clientes durante la importación confirmada: la importación sola, sin la"
        " carga de un cliente que pide páginas sin parar en los mismos 2 núcleos",
    )
    parser.add_argument("--step", help=argparse.SUPPRESS)  # inner process
    args = parser.parse_args()
    if args.step:
        return _inner(args)
    if args.database_url:
        if not os.environ.get("DATABASE_URL"):
            seed_bench._server()  # the embedded server, kept up while this process runs
        migrate = [sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"]
        subprocess.run(migrate, env={**os.environ, "DATABASE_URL": args.database_url}, cwd=ROOT, check=True)
        return _steps(args, args.database_url)
    with seed_bench.throwaway_database("bench_importing", keep=args.keep) as env:
        seed_bench.migrate_and_seed(env, count=args.count, seed=0)
        return _steps(args, env["DATABASE_URL"])


def _steps(args, url: str) -> int:
    env = {**os.environ, "DATABASE_URL": url}
    steps = ("import", "export-csv", "export-xlsx")
    if args.solo_importacion:
        steps = ("import",)
    elif args.solo_exportacion:
        steps = ("export-csv", "export-xlsx")
    if "export-csv" in steps:
        steps = ("export-attributes", *steps)
    for step in steps:
        command = [sys.executable, __file__, "--step", step, "--rows", str(args.rows)]
        flags = (
            ("--esperas", args.esperas),
            ("--sin-comparacion", args.sin_comparacion),
            ("--vacuum", args.vacuum),
            ("--sin-lista", args.sin_lista),
        )
        command += [flag for flag, on in flags if on]
        result = subprocess.run(command, env=env, cwd=ROOT)
        if result.returncode:
            return result.returncode
    return 0


def _setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _inner(args) -> int:
    _setup()
    if args.step == "import":
        return _import(
            args.rows,
            waits=args.esperas,
            compare=not args.sin_comparacion,
            vacuum=args.vacuum,
            probe=not args.sin_lista,
        )
    if args.step == "export-attributes":
        return _export_attributes()
    if args.step == "export-csv":
        return _export_csv()
    return _export_xlsx()


def _import(rows: int, *, waits: bool = False, compare: bool = True, vacuum: bool = False, probe: bool = True) -> int:
    import contextlib
    import tempfile

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from customers import importing
    from customers.models import Customer, ImportJob

    with connection.cursor() as cursor:
        if vacuum:
            # What autovacuum does between imports: each run leaves 50,000 dead customer rows
            # (and addresses), which slow the next run's statements and the list's scans.
            began = time.perf_counter()
            for table in VACUUMED:
                cursor.execute(f"VACUUM (ANALYZE) {table}")
            print(f"\nVACUUM (ANALYZE) de {', '.join(VACUUMED)}: {time.perf_counter() - began:.0f} s (no se mide)")
        cursor.execute("SELECT count(*), max(id) FROM customers_customer")
        total, top = cursor.fetchone()
    print(f"\n{total:,} clientes en la base. Archivo de {rows:,} filas (mitad existentes, mitad nuevos) …", flush=True)
    path = tempfile.mktemp(suffix=".xlsx")  # noqa: S306 - a bench file of our own
    began = time.perf_counter()
    _write_file(path, rows, top)
    print(f"  archivo escrito en {time.perf_counter() - began:.0f} s (no se mide)", flush=True)

    user = _admin_user()
    with open(path, "rb") as handle:
        content = handle.read()
    began = time.perf_counter()
    job = importing.start_import(actor=user, upload=SimpleUploadedFile("bench.xlsx", content))
    job = importing.preview_import(job.pk)
    preview_s = time.perf_counter() - began
    print(
        f"Vista previa: {preview_s:.1f} s ({rows / preview_s:,.0f} filas/s) — crear {job.to_create:,}, "
        f"actualizar {job.to_update:,}, sin cambios {job.unchanged:,}, con errores {job.error_rows:,}",
        flush=True,
    )
    if job.errors:
        print("  primeros errores:", job.errors[:3])
    if probe:
        with _ListProbe(user) as idle:  # the same requests with nothing else running: the reference
            time.sleep(IDLE_PROBE_S)
        print(f"  lista de clientes sin importación ({IDLE_PROBE_S} s): {idle.summary()}", flush=True)
    wal_before, pg_cpu_before = _wal_lsn(), seed_bench.postgres_cpu()
    began = time.perf_counter()
    job = importing.confirm_import(actor=user, job=job, mode=ImportJob.Mode.VALID_ONLY)
    phases = _Phases()
    sampler = _WaitSampler() if waits else None
    listing = _ListProbe(user) if probe else contextlib.nullcontext()
    with listing, phases:  # the list page, requested all along the confirmed import (unless --sin-lista)
        if sampler:
            sampler.start()
        job = importing.run_import(job.pk)
        if sampler:
            sampler.stop()
    import_s = time.perf_counter() - began
    pg_cpu, wal_mb = seed_bench.postgres_cpu() - pg_cpu_before, (_wal_lsn() - wal_before) / 1024 / 1024
    total_s = preview_s + import_s
    print(
        f"Importación confirmada: {import_s:.1f} s — creados {job.created:,}, actualizados {job.updated:,} "
        f"({job.status}{': ' + job.message if job.message else ''})",
        flush=True,
    )
    print(
        f"De punta a punta (subir, revisar, confirmar, escribir, historial y notas): {total_s:.1f} s, "
        f"{rows / total_s:,.0f} filas/s",
        flush=True,
    )
    if probe:
        print(f"  lista de clientes durante la importación: {listing.summary()}", flush=True)
    else:
        print("  lista de clientes durante la importación: no pedida (--sin-lista)", flush=True)
    print(f"  fases de la importación confirmada: {phases.summary()}", flush=True)
    print(
        f"  PostgreSQL durante la importación confirmada: {pg_cpu:.1f} s de CPU (todos sus procesos, también"
        f" los de la lista y autovacuum; 0 con un servidor de otra máquina), {wal_mb:,.0f} MB de WAL",
        flush=True,
    )
    if sampler:
        print(f"  esperas de PostgreSQL (muestras cada 50 ms de las conexiones que importan): {sampler.summary()}")
    print(
        f"  historial: {Customer.history.filter(history_change_reason='Importado de bench.xlsx').count():,} registros",
        flush=True,
    )
    # Before django-import-export's step below reads the whole sheet into lists.
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"Memoria máxima del proceso que importa: {_peak_mb():,.0f} MB"
        + (f" (y {workers:,.0f} MB el mayor de sus procesos de trabajo de la vista previa)" if workers else ""),
        flush=True,
    )
    ours = rows / total_s
    if not compare:
        os.unlink(path)
        return 0
    # At 1,000,000 customers each of its lookups by document scans the table (the only index on
    # the document is the unique one outside the Papelera, which its query can't use): a few
    # hundred rows say its rate.
    theirs = _django_import_export(path, DJIE_ROWS)
    print(
        f"django-import-export por defecto (fila por fila, {DJIE_ROWS:,} filas del mismo archivo): "
        f"{theirs:,.0f} filas/s "
        f"→ esta importación es {ours / theirs:.0f} veces más rápida",
        flush=True,
    )
    os.unlink(path)
    return 0


def _wal_lsn() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
        return int(cursor.fetchone()[0])


class DatabaseTimer:
    """An execute wrapper (connection.execute_wrapper) adding up the time of each statement's
    round trip in ``seconds`` (also used by bench/list_cpu.py)."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - began


class _ListProbe:
    """A thread that requests the customer list (page 1, a search, a filter) through Django's
    test client — its own database connection — while the import runs, timing each answer and,
    of it, the time spent waiting for the database (each statement's round trip); the rest is
    this process's Python (view, templates, test client)."""

    URLS = ("/clientes/", "/clientes/?q=comercial", "/clientes/?tipo=persona")

    def __init__(self, user):
        import threading

        self.user, self.times, self.sql, self.stop = user, [], [], threading.Event()
        self.by_url: dict = {}
        self.sql_by_url: dict = {}
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        from django.db import connection
        from django.test import Client

        client = Client(HTTP_HOST="localhost")
        # Signed in as the login form signs in (config.auth.RoleBackend reads the user with its
        # groups and permissions), not through the first backend, django-axes'.
        client.force_login(self.user, backend="config.auth.RoleBackend")
        timed = DatabaseTimer()

        index = 0
        try:
            while not self.stop.is_set():
                url = self.URLS[index % len(self.URLS)]
                timed.seconds = 0.0
                with connection.execute_wrapper(timed):
                    began = time.perf_counter()
                    response = client.get(url)
                    spent = (time.perf_counter() - began) * 1000
                if response.status_code == 200:
                    sql = timed.seconds * 1000
                    self.times.append(spent)
                    self.sql.append(sql)
                    self.by_url.setdefault(url, []).append(spent)
                    self.sql_by_url.setdefault(url, []).append(sql)
                index += 1
                time.sleep(0.1)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def summary(self) -> str:
        if not self.times:
            return "sin respuestas"
        ordered = sorted(self.times)
        p50 = ordered[len(ordered) // 2]
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        each = ", ".join(
            f"{url} p50 {sorted(t)[len(t) // 2]:.0f} / p95 {sorted(t)[min(len(t) - 1, int(len(t) * 0.95))]:.0f}"
            for url, t in self.by_url.items()
        )
        sql = ", ".join(f"{url} {_median(t):.0f}" for url, t in self.sql_by_url.items())
        return (
            f"{len(ordered)} respuestas, p50 {p50:.0f} ms, p95 {p95:.0f} ms ({each}); "
            f"de ello en la base de datos, mediana: {_median(self.sql):.0f} ms ({sql})"
        )


def _median(values: list) -> float:
    return sorted(values)[len(values) // 2] if values else 0.0


class _Phases:
    """Wall time of the confirmed import's steps (customers.import_staging, import_parallel):
    each wrapped while the import runs; steps that run in several parts at once show the
    longest part."""

    STEPS = (
        ("customers.import_staging", "check_again", "revisar de nuevo"),
        ("customers.import_staging", "apply", "escribir"),
        ("customers.import_parallel", "prepare", "partes escritas y preparadas"),
        ("customers.import_parallel", "finish", "COMMIT/ROLLBACK PREPARED"),
        ("customers.import_staging", "discard", "borrar las filas preparadas"),
    )

    def __init__(self):
        self.times: dict = {}
        self.saved: list = []

    def __enter__(self):
        import importlib

        for module_name, name, label in self.STEPS:
            module = importlib.import_module(module_name)
            original = getattr(module, name)
            self.saved.append((module, name, original))
            setattr(module, name, self._timed(original, label))
        return self

    def _timed(self, original, label):
        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.times.setdefault(label, []).append(time.perf_counter() - began)

        return timed

    def __exit__(self, *exc):
        for module, name, original in self.saved:
            setattr(module, name, original)

    def summary(self) -> str:
        parts = []
        for _, _, label in self.STEPS:
            spent = self.times.get(label)
            if spent:
                many = f" ×{len(spent)}, la más larga" if len(spent) > 1 else ""
                parts.append(f"{label}{many} {max(spent):.1f} s")
        return "; ".join(parts) or "—"


class _WaitSampler:
    """pg_stat_activity every 50 ms, from its own connection: what the import's backends (those
    running INSERT, UPDATE, DELETE, PREPARE or COMMIT) are waiting on, or CPU when nothing."""

    def __init__(self):
        import collections
        import threading

        self.counts = collections.Counter()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        from django.db import connection

        try:
            with connection.cursor() as cursor:
                while not self.stop_event.is_set():
                    cursor.execute(
                        "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'"
                        " AND query ~ '^(INSERT|UPDATE|DELETE|PREPARE|COMMIT)'"
                    )
                    for (event,) in cursor.fetchall():
                        self.counts[event] += 1
                    time.sleep(0.05)
        finally:
            connection.close()

    def start(self):
        self.thread.start()

    def stop(self):
        self.stop_event.set()
        self.thread.join()

    def summary(self) -> str:
        total = sum(self.counts.values()) or 1
        return ", ".join(f"{event} {100 * n / total:.0f} %" for event, n in self.counts.most_common(8))


DJIE_ROWS = 300
VACUUMED = ("customers_customer", "customers_address", "customers_customerphone", "customers_importstagedrow")
IDLE_PROBE_S = 10


def _admin_user():
    from django.contrib.auth import get_user_model

    from customers.roles import sync_roles

    sync_roles()
    user, _ = get_user_model().objects.get_or_create(username="bench-import", defaults={"is_superuser": True})
    return user


def _write_file(path: str, rows: int, top: int) -> None:
    from openpyxl import Workbook

    from customers import sample_data
    from customers.import_columns import COLUMNS
    from customers.models import Customer

    headers = [c.header for c in COLUMNS if c.key in _BENCH_KEYS]
    existing = list(
        Customer.objects.filter(deleted_at__isnull=True, is_foreign=False, document_type_id__in=["1", "6"])
        .exclude(document_number="")
        .order_by("?")
        .values_list(
            "kind",
            "document_type__short_name",
            "document_number",
            "business_name",
            "first_names",
            "last_names",
            "business_line",
        )[: rows // 2]
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Clientes")
    sheet.append(headers)
    index = top + 10_000_000
    written = 0
    for kind, doc_type, number, business, first, last, line in existing:
        is_company = kind == "empresa"
        sheet.append(
            _row(
                is_company, doc_type, number, business, first, last, (line or "Comercio") + " y servicios", f"{written}"
            )
        )
        written += 1
    while written < rows:
        index += 1
        if index % 2:
            sheet.append(
                _row(
                    True,
                    "RUC",
                    sample_data.company_ruc(index),
                    f"Empresa Nueva {index} S.A.C.",
                    "",
                    "",
                    "Comercio",
                    f"{written}",
                )
            )
        else:
            sheet.append(
                _row(False, "DNI", sample_data.person_dni(index), "", "Nuevo", f"Cliente {index}", "", f"{written}")
            )
        written += 1
    workbook.save(path)


_BENCH_KEYS = {
    "kind",
    "document_type",
    "document_number",
    "business_name",
    "first_names",
    "last_names",
    "business_line",
    "department",
    "province",
    "district",
    "street",
    "phones",
    "emails",
}


def _row(company: bool, doc_type, number, business, first, last, line, n):
    # The template's column order: Tipo de cliente, Tipo de documento, Número, Razón social,
    # Nombres, Apellidos, Giro, Correos, Teléfonos, Departamento, Provincia, Distrito, Dirección.
    return [
        "Empresa" if company else "Persona natural",
        doc_type,
        number,
        business,
        first,
        last,
        line,
        "",
        f"9{int(n) % 100_000_000:08d}",
        "Lima",
        "Lima",
        "Miraflores",
        f"Av. Larco {int(n) % 9000 + 1}",
    ]


def _django_import_export(path: str, rows: int) -> float:
    """The same file's first rows through a plain ModelResource, row by row (its default)."""
    import tablib
    from django.db import transaction
    from import_export import fields, resources
    from python_calamine import CalamineWorkbook

    from customers.models import Customer
    from peru.text import person_display_name, sort_key

    class PlainResource(resources.ModelResource):
        document_type = fields.Field(attribute="document_type_id", column_name="document_type")

        class Meta:
            model = Customer
            fields = (
                "kind",
                "document_type",
                "document_number",
                "business_name",
                "first_names",
                "last_names",
                "business_line",
                "name",
                "sort_key",
            )
            import_id_fields = ("document_type", "document_number")

        def before_save_instance(self, instance, row, **kwargs):
            instance.name = instance.business_name or person_display_name(instance.first_names, instance.last_names)
            instance.sort_key = sort_key(instance.name)

    sheet = CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
    dataset = tablib.Dataset(
        headers=[
            "kind",
            "document_type",
            "document_number",
            "business_name",
            "first_names",
            "last_names",
            "business_line",
            "name",
            "sort_key",
        ]
    )
    codes = {"RUC": "6", "DNI": "1"}
    for cells in sheet[1 : rows + 1]:
        kind = "empresa" if cells[0] == "Empresa" else "persona"
        dataset.append([kind, codes[cells[1]], str(cells[2]), cells[3], cells[4], cells[5], cells[6], "", ""])
    began = time.perf_counter()
    with transaction.atomic():
        result = PlainResource().import_data(dataset, dry_run=False)
        transaction.set_rollback(True)
    seconds = time.perf_counter() - began
    if result.has_errors() or result.has_validation_errors():
        print("  (django-import-export informó errores; la cifra es indicativa)")
    return rows / seconds


BENCH_ATTRIBUTES = [  # (name, kind, options, value): the export formats each kind its own way
    ("Bench nivel", "lista", ["Oro", "Plata"], "Oro"),
    ("Bench desde", "fecha", [], "2024-03-15"),
    ("Bench vip", "si_no", [], True),
    ("Bench monto", "decimal", [], "1500.50"),
    ("Bench rubros", "multiple", ["Lácteos", "Bebidas"], ["Lácteos", "Bebidas"]),
    ("Bench nota", "texto", [], "=cliente antiguo"),
]


def _export_attributes() -> int:
    """Not timed: attribute columns for the exports (the seed makes none), one of each common
    kind, with values on one customer in five; once per database."""
    import json

    from django.db import connection

    from attributes.models import AttributeDefinition

    if AttributeDefinition.objects.filter(name__startswith="Bench ").exists():
        return 0
    began = time.perf_counter()
    values = {}
    for position, (name, kind, options, value) in enumerate(BENCH_ATTRIBUTES, start=100):
        definition = AttributeDefinition.objects.create(name=name, kind=kind, options=options, position=position)
        values[definition.key] = value
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET attributes = attributes || %s::jsonb WHERE id %% 5 = 0",
            [json.dumps(values)],
        )
        cursor.execute("VACUUM ANALYZE customers_customer")
    print(
        f"\nAtributos para la exportación: {len(values)} columnas, valores en 1 de cada 5 clientes "
        f"({time.perf_counter() - began:.0f} s, no se mide)",
        flush=True,
    )
    return 0


def _export_csv() -> int:
    from customers import exporting, queries
    from customers.filters import CustomerFilterSet

    filterset = CustomerFilterSet({"estado": "todos"}, queryset=queries.list_customers())
    began = time.perf_counter()
    size = lines = 0
    with open(os.devnull, "wb") as sink:
        for chunk in exporting.csv_chunks(filterset.qs):
            size += len(chunk)
            lines += chunk.count(b"\n")
            sink.write(chunk)
    seconds = time.perf_counter() - began
    rows = lines - 1
    print(
        f"\nExportar CSV (todas las columnas y atributos): {rows:,} clientes en {seconds:.1f} s, "
        f"{rows / seconds:,.0f} filas/s, {size / 1_048_576:,.0f} MB; memoria máxima del proceso {_peak_mb():,.0f} MB",
        flush=True,
    )
    return 0


def _export_xlsx() -> int:
    from customers import exporting, queries
    from customers.filters import CustomerFilterSet

    filterset = CustomerFilterSet({"tipo": "persona"}, queryset=queries.list_customers())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    began = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        rows = exporting.write_export_xlsx(filterset.qs[:100_000], sink)
    seconds = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    print(
        f"Exportar Excel (lista filtrada «Persona natural», primeros 100,000): {rows:,} filas en {seconds:.1f} s, "
        f"{rows / seconds:,.0f} filas/s, CPU del proceso {cpu:.1f} s; memoria máxima del proceso {_peak_mb():,.0f} MB",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
