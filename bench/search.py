"""Benchmark of the customer list's search and filters at N customers (default 1,000,000).

    .venv/bin/python bench/search.py [N] [--requests R] [--seed S] [--keep]
    .venv/bin/python bench/search.py --database-url postgres://…   # reuse a seeded database

It creates a throwaway database (as bench/seed.py does), seeds it with manage.py
seed_customers, then times R requests (default 240) of the list's query path: the same code
the page runs (customers.filters.CustomerFilterSet → customers.queries.paginate_customers:
the filtered queryset, the page and the count strategy), for search terms taken from the data
itself: names, documents, e-mails and phones, each alone and with one filter, and filters
alone. It prints p50/p95 per kind, first WITH the indexes of the list (migration 0008) and
then WITHOUT them (dropped for the second pass), and drops the database at the end.
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

# The indexes the list's search and filters added (customers.models.Customer.Meta.indexes).
LIST_INDEXES = [
    "customer_search_trgm",
    "customer_kind_sort_idx",
    "customer_document_sort_idx",
    "customer_department_flags_idx",
    "customer_category_flags_idx",
    "customer_class_flags_idx",
    "customer_suspended_idx",
    "customer_foreign_idx",
    "customer_detraction_idx",
]
KINDS = ["nombre", "documento", "correo", "teléfono"]
FILTERS = [
    "tipo=empresa",
    "tipo=persona",
    "tipo=extranjero",
    "estado=suspendidos",
    "estado=todos",
    "whatsapp=on",
    "departamento=15",
    "departamento=04",
    "departamento=08",
    "departamento=17",
    "departamento=25",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=1_000_000, help="clientes (por defecto 1,000,000)")
    parser.add_argument("--requests", type=int, default=240, help="consultas medidas por pasada (mínimo 200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="no borrar la base de datos al terminar")
    parser.add_argument("--database-url", help="usar una base ya sembrada (no se crea ni se borra)")
    parser.add_argument("--solo-con-indices", action="store_true", help="omitir la pasada sin índices (más rápido)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # inner process
    args = parser.parse_args()
    if args.measure:
        return _measure(args)
    if args.database_url:
        return _run_measure(args, args.database_url)

    with seed_bench.throwaway_database("bench_search", keep=args.keep) as env:
        seed_bench.migrate_and_seed(env, count=args.count, seed=args.seed)
        return _run_measure(args, env["DATABASE_URL"])


def _run_measure(args, url: str) -> int:
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, __file__, "--measure", "--requests", str(args.requests), "--seed", str(args.seed)]
    if args.solo_con_indices:
        command.append("--solo-con-indices")
    return subprocess.run(command, env=env, cwd=ROOT).returncode


# --- inside Django ---------------------------------------------------------------------------


def _measure(args) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    from customers import queries

    # Measure what each query really costs, also without indexes (the page stops at 3 s).
    queries.LIST_TIMEOUT = "120s"
    rng = random.Random(args.seed)
    requests = _requests(rng, max(args.requests, 200))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers_customer")
        total = cursor.fetchone()[0]
    print(f"\n{total:,} clientes; {len(requests)} consultas por pasada (términos tomados de los datos).\n")

    with_indexes = _pass(requests, "CON los índices de la lista")
    pages = _page_pass(requests)
    without: dict = {}
    if not args.solo_con_indices:
        dropped = seed_bench.drop_indexes(connection, LIST_INDEXES, "de la lista")
        try:
            without = _pass(requests, "SIN esos índices")
        finally:
            seed_bench.restore_indexes(connection, dropped)
    _table(with_indexes, without)
    print(
        "\nLa página entera (vista de Django: sesión, permisos, consulta y plantilla; con índices), en ms:\n"
        + "\n".join(
            f"  {label:<34} p50 {statistics.median(times):6.1f}   p95 {percentile(times, 0.95):6.1f}"
            for label, times in pages.items()
        )
    )
    return 0


def _requests(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """(kind, "alone"/"con filtro", query string): the same number of each combination, for
    terms sampled from the customers themselves."""
    from urllib.parse import urlencode

    samples = _samples(rng)
    combos = [(kind, mode) for kind in KINDS for mode in ("sola", "con filtro")] + [("filtro", "solo")]
    out = []
    for i in range(count):
        kind, mode = combos[i % len(combos)]
        params = {}
        if kind != "filtro":
            params["q"] = rng.choice(samples[kind])
        filters = [rng.choice(FILTERS)] if mode != "sola" else []
        if kind == "filtro" and rng.random() < 0.4:
            filters.append(rng.choice([f for f in FILTERS if f.split("=")[0] != filters[0].split("=")[0]]))
        query = "&".join([urlencode(params), *filters]) if params else "&".join(filters)
        out.append((kind, mode, query.strip("&")))
    rng.shuffle(out)
    return out


def _samples(rng: random.Random) -> dict[str, list[str]]:
    """Search terms as people type them, from customers picked at random."""
    from customers.models import Customer
    from peru.text import fold

    top = Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ids = [rng.randint(1, top) for _ in range(400)]
    rows = list(Customer.objects.filter(pk__in=ids).values_list("name", "document_number", "email", "phone"))
    names, documents, emails, phones = [], [], [], []
    for name, document, email, phone in rows:
        words = [w.strip(",.") for w in name.split() if len(w.strip(",.")) >= 4]
        if words:
            word = rng.choice(words)
            # Whole words, beginnings of words, unaccented lower case ("nunez" for "Núñez")
            # and two words ("quispe rosa").
            names.append(rng.choice([word, word[: rng.randint(4, len(word))], fold(word)]))
            if len(words) > 1 and rng.random() < 0.3:
                names.append(f"{fold(words[0])} {fold(words[-1])[:4]}")
        if document:
            documents.append(rng.choice([document, document[: rng.randint(4, 6)], document[2:8], document[-5:]]))
        if email:
            local, _, domain = email.partition("@")
            emails.append(rng.choice([email, local, local[: max(4, len(local) - 3)], domain.split(".")[0]]))
        if phone:
            national = phone[3:] if phone.startswith("+51") else phone.lstrip("+")
            spaced = " ".join([national[:3], national[3:6], national[6:]])
            phones.append(rng.choice([national, spaced, national[-6:], phone]))
    return {"nombre": names, "documento": documents, "correo": emails, "teléfono": phones}


def _pass(requests, title: str) -> dict:
    from django.db import connection, reset_queries
    from django.http import QueryDict

    from customers import queries
    from customers.filters import CustomerFilterSet

    def one(query: str):
        data = QueryDict(query)
        filterset = CustomerFilterSet(data, queryset=queries.list_customers())
        page = queries.paginate_customers(filterset.qs, page=data.get("page"), searching=filterset.searching)
        return page

    print(f"Pasada {title}: calentando …", flush=True)
    for _, _, query in requests[:20]:  # untimed: the first reads fill the caches
        one(query)
    times: dict = {}
    shapes = {"exacto": 0, "recientes primero": 0, "estimado": 0}
    began = time.perf_counter()
    for kind, mode, query in requests:
        start = time.perf_counter()
        page = one(query)
        elapsed = (time.perf_counter() - start) * 1000
        times.setdefault((kind, mode), []).append((elapsed, query))
        shapes["recientes primero" if page.newest_first else "exacto" if page.count_exact else "estimado"] += 1
        reset_queries()
    connection.close()
    print(f"  {len(requests)} consultas en {time.perf_counter() - began:.1f} s; conteo: {shapes}", flush=True)
    return times


def _page_pass(requests) -> dict:
    """The same requests through the whole view (test client: middleware, session, permissions,
    the query path and the templates), as the results htmx asks for and as a whole page."""
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment

    from tests.roles import user_with_role

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(user_with_role("Ventas", username=f"bench-{os.getpid()}"))
    print("Pasada de la página entera …", flush=True)
    for _, _, query in requests[:20]:
        client.get(f"/clientes/?{query}")
    times: dict = {"resultados (petición htmx)": [], "página completa": []}
    for label, extra in (("resultados (petición htmx)", {"HTTP_HX_REQUEST": "true"}), ("página completa", {})):
        for _, _, query in requests:
            start = time.perf_counter()
            response = client.get(f"/clientes/?{query}", **extra)
            times[label].append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (query, response.status_code)
    return times


def _table(with_indexes: dict, without: dict) -> None:
    print("\nTiempo de servidor de la consulta de la lista (FilterSet + página + conteo), en ms:\n")
    print(f"{'búsqueda':<11} {'modo':<11} {'n':>4}   {'p50 con':>8} {'p95 con':>8}   {'p50 sin':>8} {'p95 sin':>8}")
    all_with, all_without = [], []
    for key in [(kind, mode) for kind in KINDS for mode in ("sola", "con filtro")] + [("filtro", "solo")]:
        a = [t for t, _ in with_indexes.get(key, [])]
        b = [t for t, _ in without.get(key, [])] or [float("nan")]
        if not a:
            continue
        all_with += a
        all_without += [t for t in b if t == t]
        print(
            f"{key[0]:<11} {key[1]:<11} {len(a):>4}   {statistics.median(a):>8.1f} {percentile(a, 0.95):>8.1f}"
            f"   {statistics.median(b):>8.1f} {percentile(b, 0.95):>8.1f}"
        )
    print(
        f"{'todas':<11} {'':<11} {len(all_with):>4}   {statistics.median(all_with):>8.1f} "
        f"{percentile(all_with, 0.95):>8.1f}   {statistics.median(all_without or [float('nan')]):>8.1f} "
        f"{percentile(all_without or [float('nan')], 0.95):>8.1f}"
    )
    slowest = sorted((t, q) for runs in with_indexes.values() for t, q in runs)[-5:]
    print("\nLas 5 más lentas con índices: " + "; ".join(f"{q or '(sin filtros)'} {t:.0f} ms" for t, q in slowest))


if __name__ == "__main__":
    sys.exit(main())
