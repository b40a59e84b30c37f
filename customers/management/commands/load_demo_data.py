"""manage.py load_demo_data: about 300 realistic customers to show the product with.

Only on an empty customer table: run it again, or after real customers exist, and it does
nothing. Companies with valid RUCs, persons with and without DNI, ten foreign customers, at
least one customer in every departamento, a few inactive ones.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max

from customers.bulk import bulk_insert_customers
from customers.demo_attributes import load_demo_attributes
from customers.history import record_bulk_creation
from customers.models import Customer
from customers.sample_data import generate_customers

DEMO_SEED = 2025
PERUVIANS = 290
FOREIGNERS = 10


def demo_rows() -> list[dict]:
    """The demo customers, always the same ones."""
    rows = list(generate_customers(PERUVIANS, seed=DEMO_SEED, foreign_share=0, cover_departments=True))
    rows += generate_customers(FOREIGNERS, seed=DEMO_SEED + 1, start=PERUVIANS, foreign_share=1)
    return rows


class Command(BaseCommand):
    help = "Carga unos 300 clientes de demostración, solo si aún no hay ningún cliente."

    def handle(self, *args, **options):
        # The base manager also sees customers in the Papelera: any customer at all means
        # this database is in use, and demo data must not mix with it.
        if Customer._base_manager.exists():
            self.stdout.write("Ya hay clientes registrados: no se cargaron datos de demostración.")
            return
        with transaction.atomic():
            after_id = Customer._base_manager.aggregate(last=Max("id"))["last"] or 0
            total = bulk_insert_customers(demo_rows())
            load_demo_attributes()  # a list and a date attribute, with values (customers.demo_attributes)
            # COPY writes no history: each demo customer opens with its "Creado" entry all the same.
            note = "Cliente creado (datos de demostración)."
            record_bulk_creation(after_id=after_id, reason="Creado", note_text=note)
        self.stdout.write(self.style.SUCCESS(f"{total} clientes de demostración cargados."))
