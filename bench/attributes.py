"""Benchmark of the customer list filtered by Atributos adicionales at N customers (default
1,000,000).

    .venv/bin/python bench/attributes.py [N] [--requests R] [--seed S] [--keep]
    .venv/bin/python bench/attributes.py --database-url postgres://…   # reuse a seeded database

Like bench/search.py it creates a throwaway database, seeds it with manage.py seed_customers,
then defines five attributes through attributes.services (a lista, a sí/no, a número entero,
a fecha and a texto corto) and fills their values with one set-based UPDATE, with realistic
spreads and some rare values. It then times R requests (default 200) per kind of filter through
the list's own query path (CustomerFilterSet → paginate_customers), first WITH the indexes
(the GIN index of Customer.attributes and the per-attribute range indexes of attributes.indexes)
and then WITHOUT them (fewer requests: each reads the whole table), and prints p50/p95.
See bench/README.md.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import seed as seed_bench  # noqa: E402  (bench/seed.py: the throwaway database helpers)
from seed import percentile  # noqa: E402

LEVELS = [("Estándar", 0.49), ("Bronce", 0.30), ("Plata", 0.15), ("Oro", 0.05), ("Platino", 0.01)]
ZONES = [
    "Lima Norte",
    "Lima Sur",
    "Lima Este",
    "Callao",
    "Arequipa",
    "Trujillo",
    "Chiclayo",
    "Piura",
    "Cusco",
    "Iquitos",
]
RARE_ZONES = ["Zona Franca Tacna", "Selva Central", "Valle del Colca"]
KINDS = [
    "lista",
    "lista rara",
    "sí/no",
    "entero (rango)",
    "fecha (rango)",
    "texto contiene",
    "texto raro",
    "texto exacto",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=1_000_000, help="clientes (por defecto 1,000,000)")
    parser.add_argument("--requests", type=int, default=200, help="consultas medidas por tipo de filtro (mín. 200)")
    parser.add_argument("--sin-indices", type=int, default=10, help="consultas por tipo en la pasada sin índices")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="no borrar la base de datos al terminar")
    parser.add_argument("--database-url", help="usar una base ya sembrada (no se crea ni se borra)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # inner process
    args = parser.parse_args()
    if args.measure:
        return _measure(args)
    if args.database_url:
        return _run_measure(args, args.database_url)

    with seed_bench.throwaway_database("bench_attributes", keep=args.keep) as env:
        seed_bench.migrate_and_seed(env, count=args.count, seed=args.seed)
        return _run_measure(args, env["DATABASE_URL"])


def _run_measure(args, url: str) -> int:
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, __file__, "--measure", "--requests", str(args.requests), "--seed", str(args.seed)]
    command += ["--sin-indices", str(args.sin_indices)]
    return subprocess.run(command, env=env, cwd=ROOT).returncode


# --- inside Django ---------------------------------------------------------------------------


def _measure(args) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    from customers import queries

    queries.LIST_TIMEOUT = "120s"  # measure what each query really costs, also without indexes
    definitions = _define_and_fill(args.seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers_customer")
        total = cursor.fetchone()[0]
    rng = random.Random(args.seed)
    requests = _requests(rng, definitions, max(args.requests, 200))
    print(f"\n{total:,} clientes; {len(requests)} consultas por pasada ({max(args.requests, 200)} por tipo).\n")
    with_indexes = _pass(requests, "CON índices")
    dropped = _drop_indexes(connection, definitions)
    try:
        sample = [r for kind in KINDS for r in [q for q in requests if q[0] == kind][: args.sin_indices]]
        without = _pass(sample, "SIN índices") if args.sin_indices else {}
    finally:
        seed_bench.restore_indexes(connection, dropped)
    _table(with_indexes, without)
    return 0


def _define_and_fill(seed: int) -> dict:
    """Five attributes and their values for every customer, set-based (one UPDATE)."""
    from django.db import connection

    from attributes import indexes, services
    from attributes.models import AttributeDefinition

    AttributeDefinition.objects.all().delete()
    make = services.create_definition
    d = {
        "nivel": make(actor=None, data={"kind": "lista", "name": "Nivel", "options": [n for n, _ in LEVELS]}),
        "vip": make(actor=None, data={"kind": "si_no", "name": "Cliente VIP"}),
        "empleados": make(actor=None, data={"kind": "entero", "name": "Empleados"}),
        "aniversario": make(actor=None, data={"kind": "fecha", "name": "Aniversario"}),
        "zona": make(actor=None, data={"kind": "texto", "name": "Zona comercial"}),
    }
    levels_case, edge = [], 0.0
    for level, share in LEVELS:
        edge += share
        levels_case.append(f"WHEN r.a < {edge:.4f} THEN '{level}'")
    zones = "ARRAY[" + ", ".join(f"'{z}'" for z in ZONES) + "]"
    rare = "ARRAY[" + ", ".join(f"'{z}'" for z in RARE_ZONES) + "]"
    k = {name: definition.key for name, definition in d.items()}
    # Each customer gets random numbers of its own (one row of random() per customer). Only
    # fixed text and the definitions' integer ids are formatted into the SQL.
    fill = f"""
        UPDATE customers_customer c SET attributes = jsonb_strip_nulls(jsonb_build_object(
            '{k["nivel"]}', CASE WHEN r.a < 0.9 THEN (CASE {" ".join(levels_case)} ELSE 'Estándar' END) END,
            '{k["vip"]}', CASE WHEN r.b < 0.1 THEN to_jsonb(true) WHEN r.b < 0.5 THEN to_jsonb(false) END,
            '{k["empleados"]}', CASE WHEN r.c < 0.7 THEN to_jsonb(floor(exp(r.d * ln(5000)))::int) END,
            '{k["aniversario"]}', CASE WHEN r.c > 0.4 THEN to_jsonb(to_char(date '1950-01-01'
                + (r.e * 27000)::int, 'YYYY-MM-DD')) END,
            '{k["zona"]}', CASE WHEN r.f < 0.001 THEN to_jsonb(({rare})[1 + (r.g * 3)::int % 3])
                WHEN r.f < 0.5 THEN to_jsonb(({zones})[1 + (r.g * 10)::int % 10]) END
        ))
        FROM (SELECT id, random() a, random() b, random() c, random() d, random() e, random() f, random() g
              FROM customers_customer) r
        WHERE r.id = c.id
    """  # noqa: S608
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [((seed % 1000) / 1000.0)])
        # As the seed does: drop the indexes the UPDATE would maintain row by row, rebuild after.
        cursor.execute("DROP INDEX IF EXISTS customer_attributes_gin")
        cursor.execute("DROP INDEX IF EXISTS customer_search_trgm")
        cursor.execute(fill)
        # search_text also holds the folded text values (customers.services keeps it so).
        zone = f"attributes->>'{k['zona']}'"
        cursor.execute(
            f"UPDATE customers_customer SET search_text = search_text || ' ' || lower(unaccent({zone}))"  # noqa: S608
            f" WHERE {zone} IS NOT NULL"
        )
        print(f"Valores de los atributos escritos en {time.perf_counter() - began:.1f} s.", flush=True)
        cursor.execute(
            "CREATE INDEX customer_attributes_gin ON customers_customer USING gin (attributes jsonb_path_ops)"
        )
        cursor.execute("CREATE INDEX customer_search_trgm ON customers_customer USING gin (search_text gin_trgm_ops)")
        print(f"Índices GIN reconstruidos; {time.perf_counter() - began:.1f} s en total.", flush=True)
    for definition in d.values():
        indexes.sync_index(definition.pk)  # what the background task does (CONCURRENTLY)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE customers_customer")
    print(f"Índices de rango creados y ANALYZE; {time.perf_counter() - began:.1f} s en total.", flush=True)
    return d


def _requests(rng: random.Random, d: dict, per_kind: int) -> list[tuple[str, str]]:
    def f(name, suffix=""):
        return d[name].field_name + suffix

    out = []
    for _ in range(per_kind):
        low = int(rng.choice([1, 2, 5, 10, 20, 50, 100, 500, 1000]))
        high = low * rng.choice([2, 5, 10])
        year = rng.randint(1950, 2022)
        month = rng.randint(1, 12)
        span = rng.choice([30, 90, 365, 3650])
        from datetime import date, timedelta

        start = date(year, month, 1)
        out += [
            ("lista", f"{f('nivel')}={rng.choice(['Estándar', 'Bronce', 'Plata', 'Oro'])}"),
            ("lista rara", f"{f('nivel')}=Platino"),
            ("sí/no", f"{f('vip')}={rng.choice(['si', 'no'])}"),
            (
                "entero (rango)",
                rng.choice(
                    [
                        f"{f('empleados', '_min')}={low}&{f('empleados', '_max')}={high}",
                        f"{f('empleados', '_min')}={high * 2}",
                    ]
                ),
            ),
            (
                "fecha (rango)",
                f"{f('aniversario', '_min')}={start.isoformat()}"
                f"&{f('aniversario', '_max')}={(start + timedelta(days=span)).isoformat()}",
            ),
            ("texto contiene", f"{f('zona')}={rng.choice(['lima', 'norte', 'arequipa', 'callao', 'cusco'])}"),
            ("texto raro", f"{f('zona')}={rng.choice(['franca', 'colca', 'selva central'])}"),
            ("texto exacto", f"{f('zona')}=%22{rng.choice(ZONES).replace(' ', '+')}%22"),
        ]
    rng.shuffle(out)
    return out


def _pass(requests, title: str) -> dict:
    from django.db import connection, reset_queries
    from django.http import QueryDict

    from customers import queries
    from customers.filters import CustomerFilterSet

    def one(query: str):
        data = QueryDict(query)
        filterset = CustomerFilterSet(data, queryset=queries.list_customers())
        assert not filterset.invalid_filters(), (query, filterset.errors)
        return queries.paginate_customers(filterset.qs, page=data.get("page"), searching=filterset.searching)

    print(f"Pasada {title}: calentando …", flush=True)
    for _, query in requests[:20]:
        one(query)
    times: dict = {}
    shapes = {"exacto": 0, "recientes primero": 0, "estimado": 0}
    began = time.perf_counter()
    for kind, query in requests:
        start = time.perf_counter()
        page = one(query)
        times.setdefault(kind, []).append(((time.perf_counter() - start) * 1000, query))
        shapes["recientes primero" if page.newest_first else "exacto" if page.count_exact else "estimado"] += 1
        reset_queries()
    connection.close()
    print(f"  {len(requests)} consultas en {time.perf_counter() - began:.1f} s; conteo: {shapes}", flush=True)
    return times


def _drop_indexes(connection, definitions: dict) -> list[str]:
    from attributes import indexes

    names = ["customer_attributes_gin", *(indexes.index_name(d.pk) for d in definitions.values())]
    return seed_bench.drop_indexes(connection, names, "de atributos")


def _table(with_indexes: dict, without: dict) -> None:
    print("\nTiempo de servidor de la consulta de la lista (FilterSet + página + conteo), en ms:\n")
    print(f"{'filtro':<16} {'n':>4}   {'p50 con':>8} {'p95 con':>8}   {'n sin':>5} {'p50 sin':>8} {'p95 sin':>8}")
    every = []
    for kind in KINDS:
        a = [t for t, _ in with_indexes.get(kind, [])]
        b = [t for t, _ in without.get(kind, [])] or [float("nan")]
        every += a
        print(
            f"{kind:<16} {len(a):>4}   {statistics.median(a):>8.1f} {percentile(a, 0.95):>8.1f}"
            f"   {len(without.get(kind, [])):>5} {statistics.median(b):>8.1f} {percentile(b, 0.95):>8.1f}"
        )
    print(f"{'todas':<16} {len(every):>4}   {statistics.median(every):>8.1f} {percentile(every, 0.95):>8.1f}")
    slowest = sorted((t, q) for runs in with_indexes.values() for t, q in runs)[-5:]
    print("\nLas 5 más lentas con índices: " + "; ".join(f"{q} {t:.0f} ms" for t, q in slowest))


if __name__ == "__main__":
    sys.exit(main())
