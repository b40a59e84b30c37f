"""Benchmark of the Notas timeline: a customer with N notes (default 5,000) among many others.

    .venv/bin/python bench/timeline.py [N] [--others M] [--requests R] [--keep]

It creates a throwaway database (as bench/seed.py does), loads the demo customers, gives one of
them N notes and spreads M more notes (default 1,000,000) over the others, then times R requests
(default 100) of the whole summary page (Django's test client: session, permissions, queries and
templates) and of timeline pages at the start, middle and end of the N notes (keyset pagination,
"Ver más"). It prints p50/p95 in ms and drops the database. See bench/README.md.
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
    parser.add_argument("notes", nargs="?", type=int, default=5_000, help="notas del cliente medido")
    parser.add_argument("--others", type=int, default=1_000_000, help="notas de los demás clientes")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="no borrar la base de datos al terminar")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # inner process
    args = parser.parse_args()
    if args.measure:
        return _measure(args)

    with seed_bench.throwaway_database("bench_timeline", keep=args.keep) as env:
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
        subprocess.run([*manage, "load_demo_data"], env=env, check=True, cwd=ROOT)
        command = [sys.executable, __file__, "--measure", str(args.notes), "--others", str(args.others)]
        return subprocess.run([*command, "--requests", str(args.requests)], env=env, cwd=ROOT).returncode


def _measure(args) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from customers import notes
    from customers.models import Customer

    settings.ALLOWED_HOSTS = ["*"]
    customer = Customer.objects.order_by("id").first()
    began = time.perf_counter()
    with connection.cursor() as cursor:
        # Notes a second apart, older than the customer's "creado" note.
        cursor.execute(
            "INSERT INTO customers_customernote (customer_id, kind, text, created_at)"
            " SELECT %s, 'manual', 'Nota de prueba número ' || g, now() - interval '1 day' - g * interval '1 second'"
            " FROM generate_series(1, %s) g",
            [customer.pk, args.notes],
        )
        cursor.execute(
            "INSERT INTO customers_customernote (customer_id, kind, text, created_at)"
            " SELECT c.id, 'manual', 'Otra nota ' || g, now() - g * interval '1 minute'"
            " FROM generate_series(1, %s) g JOIN customers_customer c"
            " ON c.id = (SELECT min(id) FROM customers_customer) + 1"
            " + g %% (SELECT count(*) - 1 FROM customers_customer)",
            [args.others],
        )
        cursor.execute("ANALYZE customers_customernote")
        cursor.execute("SELECT count(*) FROM customers_customernote")
        total = cursor.fetchone()[0]
    print(f"\n{total:,} notas en total ({time.perf_counter() - began:.1f} s); el cliente medido tiene {args.notes:,}.")

    user = get_user_model().objects.create_user(username=f"bench-{os.getpid()}", password=None)
    user.groups.add(Group.objects.get(name="Ventas"))
    client = Client()
    client.force_login(user)
    url = f"/clientes/{customer.pk}/?tab=notas"
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    shown = response.content.decode().count('class="note ')
    print(f"Resumen: {len(captured)} consultas, {shown} notas en la primera página.\n")

    cursors = [""]
    page = notes.timeline_page(customer=customer)
    while page.next_cursor:
        cursors.append(page.next_cursor)
        page = notes.timeline_page(customer=customer, cursor=page.next_cursor)
    samples = {
        "Página del resumen (completa)": lambda: client.get(url),
        "Primera página de notas (htmx)": lambda: client.get(f"/clientes/{customer.pk}/notas/"),
        "Página del medio (Ver más)": lambda: client.get(
            f"/clientes/{customer.pk}/notas/", {"antes": cursors[len(cursors) // 2]}
        ),
        "Última página (Ver más)": lambda: client.get(f"/clientes/{customer.pk}/notas/", {"antes": cursors[-1]}),
    }
    print(f"{len(cursors)} páginas de {notes.PAGE_SIZE}; {args.requests} peticiones por fila, en ms:")
    for label, request in samples.items():
        times = []
        for _ in range(args.requests):
            start = time.perf_counter()
            request()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"  {label:<40} p50 {statistics.median(times):6.1f}   p95 {p95:6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
