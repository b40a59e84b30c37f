"""manage.py load_demo_data: about 300 realistic customers to show the product with.

Only on an empty customer table: run it again, or after real customers exist, and it does
nothing. Companies with valid RUCs, persons with and without DNI, ten foreign customers, at
least one customer in every departamento, a few inactive ones, and two persons the office
typed in twice (Posibles duplicados has something to show).
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max

from customers.bulk import bulk_insert_customers
from customers.demo_attributes import load_demo_attributes
from customers.history import record_bulk_creation
from customers.models import Customer
from customers.sample_data import generate_customers, person_ruc
from peru.text import fold, person_display_name, sort_key

DEMO_SEED = 2025
PERUVIANS = 290
FOREIGNERS = 10


def demo_rows() -> list[dict]:
    """The demo customers, always the same ones."""
    rows = list(generate_customers(PERUVIANS, seed=DEMO_SEED, foreign_share=0, cover_departments=True))
    rows += generate_customers(FOREIGNERS, seed=DEMO_SEED + 1, start=PERUVIANS, foreign_share=1)
    return rows + entered_twice(rows)


def entered_twice(rows: list[dict]) -> list[dict]:
    """What real customer files hold: the first active person with a DNI entered again under
    the RUC 10 that contains that DNI, and the second one entered again without DNI, the name
    typed in capitals without accents, with the same phone."""
    first, second = [
        r
        for r in rows
        if r["kind"] == "persona" and r["document_type"] == "1" and r["document_number"] and r["is_active"]
    ][:2]
    as_ruc = dict(first, document_type="6", document_number=person_ruc(first["document_number"]), email="")
    first_names, last_names = fold(second["first_names"]).upper(), fold(second["last_names"]).upper()
    name = person_display_name(first_names, last_names)
    typed = dict(
        second,
        document_number="",
        email="",
        first_names=first_names,
        last_names=last_names,
        name=name,
        sort_key=sort_key(name),
    )
    return [dict(row, address=dict(row["address"])) for row in (as_ruc, typed)]


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
