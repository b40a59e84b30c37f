"""manage.py seed_credit [--per-customer 5] [--heavy N] [--seed S]: comprobantes, pagos and
credit conditions for the customers already there (after seed_customers), by COPY.

For load tests only (no notes, no history): about `--per-customer` comprobantes per customer
(facturas and boletas, 10% in dollars, 2% anulados; dates in the last two years, plazo 0–90
days), a pago for each paid or partly paid one, a cupo for 30% of customers, 1% blocked. The
balance rows are then filled from the documents with one set-based UPDATE (the same SQL as
recompute_balances), and `--heavy N` gives the first customer N comprobantes (the Comprobantes
tab benchmark). Everything in one transaction.
"""

import random
import threading
from datetime import date, timedelta
from decimal import Decimal
from queue import Queue
from time import perf_counter

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Max

from credit.models import CreditAccount, Document, PaymentTerm
from credit.services import fill_balances
from customers.models import Customer

BATCH = 50_000
TABLES = ["credit_creditaccount", "credit_document", "credit_payment"]


class Command(BaseCommand):
    help = "Crea comprobantes, pagos y cupos de muestra para los clientes existentes (COPY)."

    def add_arguments(self, parser):
        parser.add_argument("--per-customer", type=float, default=5.0, help="comprobantes por cliente (promedio)")
        parser.add_argument("--heavy", type=int, default=0, help="comprobantes extra del primer cliente")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, per_customer, heavy, seed, **options):
        if per_customer < 0 or heavy < 0:
            raise CommandError("Los números deben ser positivos.")
        ids = list(Customer.objects.filter(deleted_at__isnull=True).order_by("pk").values_list("pk", flat=True))
        if not ids:
            raise CommandError("No hay clientes: ejecute seed_customers primero.")
        method_id = PaymentTerm.objects.order_by("position").values_list("pk", flat=True).first()
        start_doc = _next_id("credit_document")
        start_number = Document.objects.aggregate(n=Max("number"))["n"] or 0
        rng = random.Random(seed)
        today = date.today()
        began = perf_counter()
        self.stdout.write(f"Creando comprobantes para {len(ids):,} clientes …")
        with transaction.atomic(), connection.cursor() as cursor:
            counts = _copy_all(
                cursor,
                _generate(
                    ids,
                    rng=rng,
                    per_customer=per_customer,
                    heavy=heavy,
                    today=today,
                    method_id=method_id,
                    start_doc=start_doc,
                    start_number=start_number,
                    pay_id=_next_id("credit_payment"),
                    # A second run adds documents; customers that have an account keep it.
                    existing=set(CreditAccount.objects.values_list("customer_id", flat=True)),
                ),
                progress=lambda n: self.stdout.write(f"  {n:,} comprobantes ({perf_counter() - began:.1f} s)"),
            )
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('credit_document', 'id'), (SELECT MAX(id) FROM credit_document))"
            )
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('credit_payment', 'id'), "
                "COALESCE((SELECT MAX(id) FROM credit_payment), 1))"
            )
            filled = perf_counter()
            fill_balances(cursor)
            self.stdout.write(f"  filas de saldo llenadas en {perf_counter() - filled:.1f} s")
            for table in TABLES:
                cursor.execute(f"ANALYZE {table}")
        # As autovacuum would soon after a bulk load: the visibility map set, so the index-only
        # scans (balance row partial indexes) don't visit the heap. Outside any transaction
        # (inside one, as in the tests, the ANALYZE above is what there is).
        with connection.cursor() as cursor:
            for table in TABLES if not connection.in_atomic_block else []:
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        elapsed = perf_counter() - began
        self.stdout.write(
            self.style.SUCCESS(
                f"{counts['documents']:,} comprobantes, {counts['payments']:,} pagos y {counts['accounts']:,} cuentas "
                f"en {elapsed:.1f} s ({counts['documents'] / elapsed:,.0f} comprobantes/s)"
            )
        )


def _next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 (fixed name)
        return cursor.fetchone()[0]


def _generate(ids, *, rng, per_customer, heavy, today, method_id, start_doc, start_number, pay_id, existing):
    """Batches of (accounts, documents, payments) lines in COPY text format."""
    doc_id = start_doc
    number = start_number
    accounts, documents, payments = [], [], []
    for index, customer_id in enumerate(ids):
        limit = ""
        if rng.random() < 0.30:
            limit = f"{rng.choice([1000, 2000, 5000, 10000, 20000, 50000])}.00"
        blocked = rng.random() < 0.01
        count = int(rng.expovariate(1 / per_customer)) if per_customer else 0
        if index == 0:
            count += heavy
        if (count or limit or blocked) and customer_id not in existing:
            reason = "Seed: mora" if blocked else ""
            blocked_at = f"{today.isoformat()} 00:00:00+00" if blocked else r"\N"
            accounts.append(
                f"{customer_id}\t\\N\t\\N\t{limit or chr(92) + 'N'}\t{'t' if blocked else 'f'}\t{reason}\t{blocked_at}"
                f"\t0\t0\t0\t\\N\t{today.isoformat()} 00:00:00+00\n"
            )
        for _ in range(count):
            number += 1
            issue = today - timedelta(days=rng.randint(0, 730))
            due = issue + timedelta(days=rng.choice([0, 0, 15, 30, 30, 60, 90]))
            usd = rng.random() < 0.10
            rate = f"{rng.uniform(3.6, 3.9):.4f}" if usd else "1"
            total = Decimal(rng.randint(1000, 500_000)) / 100
            voided = rng.random() < 0.02
            roll = rng.random()
            # Older documents are mostly paid; recent ones mostly open.
            age_paid = min(0.95, (today - issue).days / 365)
            paid = (
                total
                if roll < age_paid
                else (total * Decimal(rng.randint(1, 9)) / 10).quantize(Decimal("0.01"))
                if roll < age_paid + 0.1
                else Decimal("0.00")
            )
            if voided:
                paid = Decimal("0.00")
            doc_type = "01" if rng.random() < 0.7 else "03"
            series = ("F" if doc_type == "01" else "B") + f"{1 + number // 10_000_000:03d}"
            documents.append(
                f"{doc_id}\t{doc_type}\t{series}\t{number % 10_000_000 + 1}\t{issue.isoformat()}\t{due.isoformat()}"
                f"\t{'USD' if usd else 'PEN'}\t{rate}\t{total}\t{paid}\t0.00\t{'t' if voided else 'f'}"
                f"\t{issue.isoformat()} 12:00:00+00\t\\N\t{customer_id}\t\\N\t\\N\n"
            )
            if paid > 0:
                pay_day = min(today, issue + timedelta(days=rng.randint(0, 60)))
                payments.append(
                    f"{pay_id}\t{pay_day.isoformat()}\t{paid}\tSeed\t{pay_day.isoformat()} 12:00:00+00\t\\N\t{doc_id}"
                    f"\t{method_id if method_id else chr(92) + 'N'}\n"
                )
                pay_id += 1
            doc_id += 1
        if len(documents) >= BATCH or index == len(ids) - 1:
            yield accounts, documents, payments
            accounts, documents, payments = [], [], []


_COLUMNS = {
    "accounts": "credit_creditaccount (customer_id, price_list_id, payment_term_id, credit_limit, is_blocked, "
    "blocked_reason, blocked_at, balance, held, open_documents, oldest_due_date, updated_at)",
    "documents": "credit_document (id, doc_type, series, number, issue_date, due_date, currency, exchange_rate, total, "
    "paid, credited, is_voided, created_at, created_by_id, customer_id, project_id, related_id)",
    "payments": "credit_payment (id, date, amount, reference, created_at, created_by_id, document_id, method_id)",
}


def _copy_all(cursor, batches, *, progress) -> dict:
    """COPY each batch while a helper thread formats the next (as customers.bulk does)."""
    queue: Queue = Queue(maxsize=2)
    counts = {"accounts": 0, "documents": 0, "payments": 0}

    def produce():
        try:
            for batch in batches:
                queue.put(batch)
        finally:
            queue.put(None)

    threading.Thread(target=produce, daemon=True).start()
    while (batch := queue.get()) is not None:
        for key, lines in zip(("accounts", "documents", "payments"), batch, strict=True):
            if not lines:
                continue
            with cursor.copy(f"COPY {_COLUMNS[key]} FROM STDIN") as copy:
                copy.write("".join(lines))
            counts[key] += len(lines)
        progress(counts["documents"])
    return counts
