"""manage.py seed_customers N [--seed S]: N realistic sample customers, for load tests.

Each customer gets its fiscal address, and its phone and e-mail when it has them. Rows come
from customers.sample_data and are written with COPY by customers.bulk, in one transaction:
either all N exist afterwards or none. No history records or notes: these are load-test rows
(load_demo_data records its customers' creation; customers.history.record_bulk_creation).
"""

from time import perf_counter

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Max

from customers.bulk import bulk_insert_customers
from customers.models import Address, Customer, CustomerEmail, CustomerPhone
from customers.sample_data import MAX_INDEX, generate_customers

# Below this many customers, keeping the search index up to date row by row costs little.
REBUILD_FROM = 50_000


class Command(BaseCommand):
    help = "Crea N clientes de muestra con su dirección fiscal (COPY, una sola transacción)."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help="cuántos clientes crear")
        parser.add_argument("--seed", type=int, default=0, help="semilla: la misma semilla da los mismos datos")
        parser.add_argument("--batch", type=int, default=20_000, help="filas por COPY (por defecto 20,000)")

    def handle(self, *args, count, seed, batch, **options):
        if count < 1:
            raise CommandError("N debe ser al menos 1.")
        if batch < 1:
            raise CommandError("--batch debe ser al menos 1.")
        # Every generated row's index is below its id, so starting past the highest id keeps
        # documents and e-mails of this run apart from those of earlier runs.
        start = Customer.objects.aggregate(top=Max("id"))["top"] or 0
        if start + count > MAX_INDEX:
            raise CommandError(f"Los datos de muestra admiten hasta {MAX_INDEX:,} clientes en total.")

        step = max(count // 10, batch)
        shown = [0]

        def progress(done: int) -> None:
            if done - shown[0] >= step or done == count:
                shown[0] = done
                self.stdout.write(f"  {done:,} / {count:,} ({perf_counter() - began:.1f} s)")

        # A load as large as what is there goes faster building the search index afterwards.
        rebuild = count >= max(start, REBUILD_FROM)
        self.stdout.write(f"Creando {count:,} clientes de muestra (semilla {seed}) …")
        if rebuild:
            self.stdout.write("  (el índice de búsqueda se reconstruye al final)")
        phases = {"indexes": "índices reconstruidos", "foreign_keys": "claves foráneas comprobadas"}

        def report(phase: str, seconds: float) -> None:
            self.stdout.write(f"  {phases[phase]} en {seconds:.1f} s")

        began = perf_counter()
        total = bulk_insert_customers(
            generate_customers(count, seed=seed, start=start),
            batch=batch,
            progress=progress,
            rebuild_indexes=rebuild,
            report=report,
        )
        elapsed = perf_counter() - began
        self.stdout.write(self.style.SUCCESS(f"{total:,} clientes en {elapsed:.1f} s ({total / elapsed:,.0f} filas/s)"))

        # Fresh statistics now, so the first searches after a big load get good plans instead
        # of waiting for autovacuum to notice.
        began = perf_counter()
        with connection.cursor() as cursor:
            for model in (Customer, Address, CustomerPhone, CustomerEmail):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        self.stdout.write(f"Estadísticas actualizadas (ANALYZE) en {perf_counter() - began:.1f} s.")
