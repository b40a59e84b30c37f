"""Benchmark of the credit side at N customers (default 1,000,000) and ~5 comprobantes each.

    .venv/bin/python bench/credit.py [N] [--per-customer 5] [--heavy 20000] [--requests 200] [--keep]
    .venv/bin/python bench/credit.py --database-url postgres://…   # reuse a seeded database
    .venv/bin/python bench/credit.py --seed-only --keep             # seed (outside quiet-bench), keep it
    .venv/bin/python bench/credit.py --reuse bench_credit_1234      # measure a kept one on the embedded server

It creates a throwaway database (as bench/seed.py does), seeds it with seed_customers and
seed_credit (COPY), then times:
- the customer list with the "Crédito disponible" column, alone and with each "Crédito"
  filter (and each with a second filter), through the query path (CustomerFilterSet →
  paginate_customers → the column's page load) and through the whole view (test client);
- the summary's Comprobantes tab for the customer with --heavy comprobantes (whole view, with
  and without a status filter, first and a later page);
- recompute_balances over every customer.
p50 / p95 in ms. See bench/README.md.
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

import seed as seed_bench  # noqa: E402
from seed import percentile  # noqa: E402

CREDIT_FILTERS = [
    "",
    "credito=con_cupo",
    "credito=sin_cupo",
    "credito=bloqueado",
    "credito=excedido",
    "credito=vencida",
]
SECOND = ["", "tipo=empresa", "departamento=15", "estado=todos"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=1_000_000)
    # int(expovariate) averages 1 / (e^(1/λ) − 1): λ = 5.5 gives about 5.0 comprobantes per customer.
    parser.add_argument("--per-customer", type=float, default=5.5)
    parser.add_argument("--heavy", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=40, help="consultas por filtro")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--database-url")
    parser.add_argument("--reuse", metavar="NAME", help="a kept database of the embedded server")
    parser.add_argument("--seed-only", action="store_true", help="seed and stop (use with --keep)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return _measure(args)
    if args.database_url:
        return _run_measure(args, args.database_url)
    if args.reuse:
        # This process keeps the embedded server up while the measuring child runs.
        _admin, url = seed_bench._server()
        return _run_measure(args, url.replace("{name}", args.reuse))
    with seed_bench.throwaway_database("bench_credit", keep=args.keep) as env:
        seed_bench.migrate_and_seed(env, count=args.count, seed=args.seed)
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run(
            [
                *manage,
                "seed_credit",
                "--per-customer",
                str(args.per_customer),
                "--heavy",
                str(args.heavy),
                "--seed",
                str(args.seed),
            ],
            env=env,
            cwd=ROOT,
            check=True,
        )
        if args.seed_only:
            return 0
        return _run_measure(args, env["DATABASE_URL"])


def _run_measure(args, url: str) -> int:
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, __file__, "--measure", "--requests", str(args.requests), "--seed", str(args.seed)]
    return subprocess.run(command, env=env, cwd=ROOT).returncode


def _line(label: str, times: list) -> str:
    return f"  {label:<44} p50 {statistics.median(times):7.1f}   p95 {percentile(times, 0.95):7.1f}"


def _measure(args) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.http import QueryDict
    from django.test import Client
    from django.test.utils import setup_test_environment

    from credit.filters import load_credit_rows
    from credit.models import Document
    from credit.services import recompute_balances
    from customers import queries
    from customers.filters import CustomerFilterSet
    from tests.roles import user_with_role

    rng = random.Random(args.seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM customers_customer), (SELECT count(*) FROM credit_document)")
        customers, documents = cursor.fetchone()
    print(f"\n{customers:,} clientes, {documents:,} comprobantes.\n", flush=True)

    def query_path(query: str):
        data = QueryDict(query)
        filterset = CustomerFilterSet(data, queryset=queries.list_customers())
        page = queries.paginate_customers(filterset.qs, page=data.get("page"), searching=filterset.searching)
        load_credit_rows(page.rows)
        return page

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(user_with_role("Créditos", username=f"bench-credit-{os.getpid()}"))

    combos = [(f, s) for f in CREDIT_FILTERS for s in SECOND]
    for f, s in combos[:10]:  # warm up
        query_path("&".join(x for x in (f, s) if x))
    print("Lista con la columna «Crédito disponible» (ms): consulta | vista entera (htmx)")
    all_query, all_view = [], []
    for credit_filter in CREDIT_FILTERS:
        q_times, v_times, queries_sent = [], [], []
        for i in range(args.requests):
            second = SECOND[i % len(SECOND)]
            page = rng.choice([1, 1, 1, 2, 3, 10])
            query = "&".join(x for x in (credit_filter, second, f"page={page}") if x)
            queries_sent.append(query)
            start = time.perf_counter()
            query_path(query)
            q_times.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            response = client.get(f"/clientes/?{query}", HTTP_HX_REQUEST="true")
            v_times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, query
        all_query += q_times
        all_view += v_times
        label = credit_filter or "sin filtro de crédito"
        print(_line(f"{label} · consulta", q_times))
        print(_line(f"{label} · vista", v_times), flush=True)
        # The tail: which requests were the slowest (a first visit of a page, a second filter …).
        slowest = sorted(zip(q_times, v_times, queries_sent, strict=True), reverse=True)[:2]
        print("      más lentas: " + "; ".join(f"{q:.0f}/{v:.0f} ms ?{text}" for q, v, text in slowest))
    print(_line("TODAS · consulta", all_query))
    print(_line("TODAS · vista", all_view))

    heavy = Document.objects.order_by("customer_id").values_list("customer_id", flat=True).first()
    count = Document.objects.filter(customer_id=heavy).count()
    print(f"\nPestaña Comprobantes del cliente {heavy} ({count:,} comprobantes), vista entera (ms):")
    for label, query in (
        ("primera página", ""),
        ("página 50", "pagina=50"),
        ("estado=vencido", "estado=vencido"),
        ("estado=pagado, página 20", "estado=pagado&pagina=20"),
    ):
        times = []
        for _ in range(max(10, args.requests // 2)):
            start = time.perf_counter()
            response = client.get(f"/credito/clientes/{heavy}/comprobantes/?{query}", HTTP_HX_REQUEST="true")
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        print(_line(label, times), flush=True)
    times = []
    for _ in range(max(10, args.requests // 2)):
        start = time.perf_counter()
        response = client.get(f"/clientes/{heavy}/")
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    # The first request also compiles the templates: it is the max, not the p95.
    print(_line("resumen del cliente (página completa)", times) + f"   primera {times[0]:.1f}")

    print("\nrecompute_balances sobre todos los clientes …", flush=True)
    start = time.perf_counter()
    differences = recompute_balances()
    print(f"  {len(differences)} diferencias en {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
