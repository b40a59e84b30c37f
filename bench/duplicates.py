"""Benchmark of Posibles duplicados (customers.duplicates) at 1,000,000 customers.

    .venv/bin/python bench/duplicates.py [--database NAME] [--pairs P] [--keep]

With --database, it uses a database already seeded by `bench/seed.py --keep` (in this
worktree's embedded PostgreSQL, or on DATABASE_URL's server); otherwise it makes a throwaway
one and seeds 1,000,000 customers first (about 2-4 minutes). It plants P pairs (default 100)
per rule — a DNI for an existing RUC 10, a copy of a customer's phone, two customers of one
e-mail domain with similar names, the same name with and without punctuation and suffix, a
name with a typo — then times, per rule, the first page (25 groups, median of 5) and a walk
through every page to the end, and checks each planted pair was found. See bench/README.md.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import seed as seed_bench  # noqa: E402  (bench/seed.py: the throwaway database helpers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="", help="base ya sembrada con bench/seed.py --keep")
    parser.add_argument("--count", type=int, default=1_000_000, help="clientes a sembrar sin --database")
    parser.add_argument("--pairs", type=int, default=100, help="pares plantados por regla")
    parser.add_argument("--keep", action="store_true", help="no borrar la base de datos al terminar")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # inner process
    args = parser.parse_args()
    if args.measure:
        return _measure(args)
    command = [sys.executable, __file__, "--measure", "--pairs", str(args.pairs)]
    manage = [sys.executable, str(ROOT / "manage.py")]
    if args.database:
        admin, url = seed_bench._server()  # starts the embedded server for this process
        env = {**os.environ, "DATABASE_URL": url.replace("{name}", args.database)}
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
        return subprocess.run(command, env=env, cwd=ROOT).returncode
    with seed_bench.throwaway_database("bench_duplicates", keep=args.keep) as env:
        seed_bench.migrate_and_seed(env, count=args.count, seed=0)
        return subprocess.run(command, env=env, cwd=ROOT).returncode


def _measure(args) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    from customers.duplicates import RULES, find_duplicates
    from customers.models import Customer

    total = Customer.objects.count()
    planted = _plant(connection, args.pairs)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE customers_customer")
        cursor.execute("VACUUM ANALYZE customers_customerphone")
        cursor.execute("VACUUM ANALYZE customers_customeremail")
    print(f"{total:,} clientes; {args.pairs} pares plantados por regla.", flush=True)
    print(
        f"{'regla':<10} {'1.ª página (p50)':>17} {'todas las páginas':>18} {'páginas':>8} {'grupos':>8}"
        f" {'plantados hallados':>19}"
    )
    for rule in RULES:
        firsts = []
        for _ in range(5):
            began = time.perf_counter()
            find_duplicates(rule=rule)
            firsts.append(time.perf_counter() - began)
        began, after, pages, found = time.perf_counter(), "", 0, set()
        while True:
            page = find_duplicates(rule=rule, after=after, per_page=100, with_customers=False)
            pages += 1
            found.update(frozenset(g.ids) for g in page.groups)
            if not page.next_cursor:
                break
            after = page.next_cursor
        walk = time.perf_counter() - began
        hit = sum(1 for pair in planted[rule] if any(pair <= group for group in found))
        print(
            f"{rule:<10} {statistics.median(firsts) * 1000:>14.0f} ms {walk:>16.2f} s {pages:>8} "
            f"{len(found):>8,} {hit:>12}/{len(planted[rule])}",
            flush=True,
        )
    return 0


def _plant(connection, pairs: int) -> dict[str, list[frozenset]]:
    """P pairs per rule, inserted with SQL (names, sort keys and copies as the services write
    them: the database computes match_key). Idempotent: a second run reuses the planted rows."""
    from customers.models import Customer, CustomerEmail, CustomerPhone
    from customers.reference import DNI, RUC
    from customers.sample_data import person_ruc
    from peru.text import sort_key

    planted: dict[str, list[frozenset]] = {
        rule: [] for rule in ("documento", "telefono", "correo", "nombre", "parecido")
    }
    marker = "bench-duplicados"
    fresh = not Customer.objects.filter(business_line=marker).exists()

    def make(name, *, kind="empresa", doc_type=RUC, number="", email="", phone=""):
        customer = Customer(
            kind=kind,
            document_type_id=doc_type,
            document_number=number,
            business_name=name if kind == "empresa" else "",
            last_names=name if kind == "persona" else "",
            name=name,
            sort_key=sort_key(name),
            business_line=marker,
            email=email,
            phone=phone,
            search_text=name.lower(),
        )
        return customer

    if fresh:
        rows = []
        rucs = list(
            Customer.objects.filter(document_type_id=RUC, document_number__startswith="10", deleted_at=None)
            .order_by("?")
            .values_list("document_number", "name")[: pairs * 3]
        )
        taken = set(
            Customer.objects.filter(document_type_id=DNI, document_number__in=[r[2:10] for r, _ in rucs]).values_list(
                "document_number", flat=True
            )
        )
        for ruc, name in [r for r in rucs if r[0][2:10] not in taken][:pairs]:
            rows.append(make(name, kind="persona", doc_type=DNI, number=ruc[2:10]))
        with connection.cursor() as cursor:  # phones of one customer only, picked at random
            cursor.execute(
                "SELECT p.number, c.name, c.kind FROM customers_customerphone p"
                " JOIN customers_customer c ON c.id = p.customer_id WHERE p.number IN"
                " (SELECT number FROM customers_customerphone GROUP BY number HAVING count(*) = 1)"
                " ORDER BY random() LIMIT %s",
                [pairs],
            )
            phones = cursor.fetchall()
        for number, name, kind in phones:
            rows.append(make(f"{name} sucursal", kind=kind, phone=number))
        for n in range(pairs):
            rows.append(make(f"Distribuidora Bench {n} S.A.C.", email=f"ventas@bench-dominio-{n}.pe"))
            rows.append(make(f"Distribuidora Bench {n} del Sur", email=f"compras@bench-dominio-{n}.pe"))
            rows.append(make(f"Comercial Bench Núñez {n} S.A.C."))
            rows.append(make(f"COMERCIAL BENCH NUNEZ {n} SAC"))
            rows.append(make(f"Transportes Bench {n} Rápido E.I.R.L."))
            rows.append(make(f"Transportes Bench {n} Rapidoo"))
        Customer.objects.bulk_create(rows)
        new = list(Customer.objects.filter(business_line=marker))
        CustomerPhone.objects.bulk_create(CustomerPhone(customer=c, number=c.phone) for c in new if c.phone)
        CustomerEmail.objects.bulk_create(CustomerEmail(customer=c, email=c.email) for c in new if c.email)
    mine = list(Customer.objects.filter(business_line=marker).values("id", "document_number", "phone", "email", "name"))
    for row in mine:
        if row["document_number"]:
            twin = Customer.objects.filter(document_type_id=RUC, document_number=person_ruc(row["document_number"]))
            planted["documento"].append(frozenset({row["id"], twin.values_list("id", flat=True).first()}))
        elif row["phone"]:
            twin = CustomerPhone.objects.filter(number=row["phone"]).exclude(customer_id=row["id"])
            planted["telefono"].append(frozenset({row["id"], twin.values_list("customer_id", flat=True).first()}))
    by_name = {row["name"]: row["id"] for row in mine}
    for n in range(pairs):
        pair = (f"Distribuidora Bench {n} S.A.C.", f"Distribuidora Bench {n} del Sur")
        planted["correo"].append(frozenset(by_name[name] for name in pair))
        pair = (f"Comercial Bench Núñez {n} S.A.C.", f"COMERCIAL BENCH NUNEZ {n} SAC")
        planted["nombre"].append(frozenset(by_name[name] for name in pair))
        pair = (f"Transportes Bench {n} Rápido E.I.R.L.", f"Transportes Bench {n} Rapidoo")
        planted["parecido"].append(frozenset(by_name[name] for name in pair))
    return planted


if __name__ == "__main__":
    sys.exit(main())
