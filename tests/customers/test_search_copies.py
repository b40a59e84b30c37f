"""The list's copies on Customer (search_text, has_whatsapp, department): the services, the
COPY writer and the migration fill them the same way."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from customers import services
from customers.bulk import REBUILT_INDEXES, bulk_insert_customers
from customers.models import Customer
from customers.sample_data import generate_customers
from peru.text import search_text, search_words

pytestmark = pytest.mark.django_db


def copies(customer: Customer) -> tuple:
    customer = Customer.objects.get(pk=customer.pk)
    return customer.search_text, customer.has_whatsapp, customer.department_id


def test_search_text_folds_every_part_and_keeps_them_apart():
    text = search_text(
        name="Núñez Quispe, Rosa",
        document_number="AB123",
        emails=["Rosa@Correo.PE", "pagos@rosa.pe"],
        phones=["+51987654321", "+5114445555", "+13055550123"],
    )
    assert text == (
        "nunez quispe, rosa ab123 rosa@correo.pe pagos@rosa.pe 51987654321 5114445555 014445555 13055550123"
    )


def test_a_phone_typed_with_punctuation_is_one_word_of_digits():
    assert search_words("(01) 444-5555") == ["014445555"]
    assert search_words("  Núñez   QUISPE núñez ") == ["nunez", "quispe"]


def test_the_services_keep_the_copies_on_create_and_update():
    data = {
        "kind": "empresa",
        "document_type": "6",
        "document_number": "20100070970",
        "business_name": "Gloria S.A.",
        "business_line": "Lácteos",
        "address": {"district": "080101", "street": "Av. Sol 1"},
        "phones": [{"number": "987654321", "whatsapp": True}],
        "emails": ["ventas@gloria.pe"],
    }
    customer = services.create_customer(actor=None, data=data)
    assert copies(customer) == ("gloria s.a. 20100070970 ventas@gloria.pe 51987654321 sa", True, "08")

    data.update(business_name="Gloria Perú S.A.", phones=[{"number": "014445555"}], emails=[])
    data["address"] = {"district": "150101", "street": "Av. Arequipa 1"}
    services.update_customer(actor=None, customer=customer, data=data)
    assert copies(customer) == ("gloria peru s.a. 20100070970 5114445555 014445555 sa", False, "15")


def test_the_departamento_follows_the_default_address_when_one_is_deleted():
    data = {"kind": "persona", "document_type": "1", "first_names": "Rosa", "last_names": "Quispe"}
    customer = services.create_customer(actor=None, data=data)
    first = services.save_address(actor=None, customer=customer, data={"district": "080101", "street": "Av. Sol 1"})
    services.save_address(actor=None, customer=customer, data={"district": "150101", "street": "Av. Lima 2"})
    assert copies(customer)[2] == "08"

    services.delete_address(actor=None, address=first)
    assert copies(customer)[2] == "15"


def test_the_copy_writer_fills_the_copies_as_the_services_would():
    rows = list(generate_customers(60, seed=3, start=7_000))
    bulk_insert_customers(rows)

    for row in rows:
        customer = Customer.objects.get(document_type_id=row["document_type"], document_number=row["document_number"])
        expected_text = search_text(
            name=row["name"],
            document_number=row["document_number"],
            emails=[row["email"]] if row["email"] else [],
            phones=[row["phone"]] if row["phone"] else [],
        )
        district = row["address"]["district"]
        assert copies(customer) == (expected_text, bool(row["phone"] and row["whatsapp"]), district and district[:2])


def test_a_large_load_rebuilds_the_search_indexes_at_the_end():
    bulk_insert_customers(generate_customers(30, seed=4, start=8_000), rebuild_indexes=True)

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'customers_customer'")
        names = {row[0] for row in cursor.fetchall()}
    assert set(REBUILT_INDEXES) <= names
    assert Customer.objects.filter(search_text__contains="@").count() > 0


def test_the_migration_fills_the_copies_of_existing_customers():
    rows = list(generate_customers(20, seed=5, start=9_000))
    bulk_insert_customers(rows)
    filled = {c.pk: copies(c) for c in Customer.objects.all()}
    Customer.objects.update(search_text="", has_whatsapp=False, department=None)

    migration = importlib.import_module("customers.migrations.0008_search_and_trash")
    with connection.schema_editor() as editor:
        migration.fill_copies(apps, editor)

    assert {c.pk: copies(c) for c in Customer.objects.all()} == filled
