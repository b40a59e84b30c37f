from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.db.models import Count, Q

from customers import services
from customers.bulk import bulk_insert_customers
from customers.models import Address, Customer, CustomerEmail, CustomerPhone, District
from customers.reference import ubigeo_rows
from customers.sample_data import generate_customers
from tests.factories import make_company

ALL_DEPARTMENTS = set(ubigeo_rows()[0])


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_seed_customers_creates_each_customer_with_one_default_fiscal_address(db):
    output = run("seed_customers", "500")

    assert Customer.objects.count() == 500
    assert "500 clientes en" in output and "filas/s" in output
    addresses = Customer.objects.annotate(
        total=Count("addresses"),
        default_fiscal=Count("addresses", filter=Q(addresses__is_default=True, addresses__kind="fiscal")),
    )
    assert set(addresses.values_list("total", "default_fiscal").distinct()) == {(1, 1)}


def test_seeded_addresses_in_peru_have_a_real_district(db):
    run("seed_customers", "500")

    peruvian = Address.objects.filter(customer__is_foreign=False)
    assert peruvian.count() == Customer.objects.filter(is_foreign=False).count()
    assert not peruvian.filter(district__isnull=True).exists()
    used = set(peruvian.values_list("district_id", flat=True))
    assert used <= set(District.objects.values_list("code", flat=True))
    # Foreign customers live abroad, as the services store them: their country, no ubigeo.
    assert not Address.objects.filter(customer__is_foreign=True, district__isnull=False).exists()


def test_seeded_phones_and_emails_have_their_own_rows(db):
    run("seed_customers", "300")

    for customer in Customer.objects.prefetch_related("phones", "emails"):
        assert [p.number for p in customer.phones.all()] == ([customer.phone] if customer.phone else [])
        assert [e.email for e in customer.emails.all()] == ([customer.email] if customer.email else [])
    assert CustomerPhone.objects.filter(whatsapp=True).exists()


def test_seeded_customers_pass_model_validation(db):
    run("seed_customers", "200")

    for customer in Customer.objects.all()[:60]:
        customer.full_clean()


def test_seeding_twice_keeps_documents_and_emails_unique(db):
    run("seed_customers", "300")
    run("seed_customers", "300", "--seed", "1")

    assert Customer.objects.count() == 600
    documents = Customer.objects.exclude(document_number="").values_list("document_type", "document_number")
    assert len(set(documents)) == documents.count()
    assert CustomerEmail.objects.values("email").distinct().count() == CustomerEmail.objects.count()


def test_generated_rows_are_what_the_services_would_store(db):
    """The sample data follows the business rules: each row, given to create_customer,
    comes back unchanged (document, names, sort key, phone, e-mail, address)."""
    for row in generate_customers(120, seed=11, start=1_000):
        data = {
            **{key: row[key] for key in ("kind", "is_foreign", "document_number", "business_name", "business_line")},
            "document_type": row["document_type"],
            "first_names": row["first_names"],
            "last_names": row["last_names"],
            "country": row["country"],
            "phones": [{"number": row["phone"], "whatsapp": row["whatsapp"]}] if row["phone"] else [],
            "emails": [row["email"]] if row["email"] else [],
            "address": {key: row["address"][key] or "" for key in ("district", "street", "unit", "reference")},
        }
        customer = services.create_customer(actor=None, data=data)
        address = customer.addresses.get()
        assert (customer.name, customer.sort_key, customer.document_number) == (
            row["name"],
            row["sort_key"],
            row["document_number"],
        )
        assert (customer.phone, customer.email, customer.country) == (row["phone"], row["email"], row["country"])
        assert (address.district_id, address.street) == (row["address"]["district"], row["address"]["street"])


def test_bulk_insert_keeps_tabs_backslashes_and_line_breaks(db):
    row = next(generate_customers(1, seed=1))
    row["business_name"] = row["name"] = "Tab\tBackslash\\ Salto\nde línea\r"
    row["address"]["reference"] = "Piso 2\tTimbre\\2"

    assert bulk_insert_customers([row]) == 1

    customer = Customer.objects.get()
    assert customer.business_name == "Tab\tBackslash\\ Salto\nde línea\r"
    assert customer.addresses.get().reference == "Piso 2\tTimbre\\2"


def test_bulk_insert_writes_nothing_when_the_database_refuses_a_row(db):
    rows = list(generate_customers(50, seed=1))
    rows[-1]["address"]["district"] = "999999"  # no such ubigeo

    with pytest.raises(IntegrityError):
        bulk_insert_customers(rows, batch=20)

    assert not Customer.objects.exists()


LOADED_TABLES = [model._meta.db_table for model in (Customer, Address, CustomerPhone, CustomerEmail)]


def foreign_keys_and_indexes() -> tuple[set, set]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            [LOADED_TABLES],
        )
        foreign_keys = set(cursor.fetchall())
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [LOADED_TABLES])
        return foreign_keys, set(cursor.fetchall())


def test_a_large_load_puts_back_every_foreign_key_and_index_as_they_were(db):
    before = foreign_keys_and_indexes()

    bulk_insert_customers(generate_customers(30, seed=4, start=8_000), rebuild_indexes=True)

    assert foreign_keys_and_indexes() == before
    assert Customer.objects.count() == 30


def test_a_large_load_with_a_row_pointing_nowhere_writes_nothing(db):
    before = foreign_keys_and_indexes()
    rows = list(generate_customers(50, seed=1))
    rows[-1]["address"]["district"] = "999999"  # no such ubigeo: found when the foreign key is added back

    with pytest.raises(IntegrityError):
        bulk_insert_customers(rows, batch=20, rebuild_indexes=True)

    assert not Customer.objects.exists() and not Address.objects.exists()
    assert foreign_keys_and_indexes() == before


def test_a_large_load_with_a_document_twice_writes_nothing(db):
    rows = list(generate_customers(50, seed=1))
    first = next(row for row in rows if row["document_number"])
    rows[-1].update(document_type=first["document_type"], document_number=first["document_number"])

    with pytest.raises(IntegrityError):
        bulk_insert_customers(rows, batch=20, rebuild_indexes=True)

    assert not Customer.objects.exists()


def test_load_demo_data_fills_about_300_customers_the_first_time(db):
    output = run("load_demo_data")

    assert 250 <= Customer.objects.count() <= 350
    assert "clientes de demostración cargados" in output
    departments = set(Address.objects.exclude(district=None).values_list("district__province__department", flat=True))
    assert departments == ALL_DEPARTMENTS
    assert Customer.objects.filter(is_foreign=True).count() == 10
    assert Customer.objects.filter(is_active=False).exists()
    assert Customer.objects.filter(kind="persona", is_foreign=False, document_number="").exists()
    assert Customer.objects.filter(kind="persona", document_type="1").exclude(document_number="").exists()
    assert Customer.objects.exclude(phone="").count() > 0.8 * Customer.objects.count()
    assert Customer.objects.exclude(email="").count() > 0.7 * Customer.objects.count()


def test_demo_data_holds_persons_entered_twice_that_posibles_duplicados_finds(db):
    from customers.duplicates import find_duplicates

    run("load_demo_data")

    def pairs(rule):
        return [
            {(c.document_type_id, c.document_number, c.name) for c in group.customers}
            for group in find_duplicates(rule=rule).groups
        ]

    by_document = pairs("documento")
    assert len(by_document) == 1
    (pair,) = by_document
    assert {document_type for document_type, _, _ in pair} == {"1", "6"}
    assert len({name for _, _, name in pair}) == 1
    # The one typed again without DNI, in capitals and without accents, with the same phone.
    typed = Customer.objects.filter(kind="persona", document_number="").order_by("-id").first()
    assert typed.name == typed.name.upper() and typed.name.isascii()
    assert any(typed.name in {name for _, _, name in group} for group in pairs("telefono"))
    assert any(typed.name in {name for _, _, name in group} for group in pairs("nombre"))


def test_load_demo_data_does_nothing_the_second_time(db):
    run("load_demo_data")
    loaded = Customer.objects.count()

    output = run("load_demo_data")

    assert Customer.objects.count() == loaded
    assert "no se cargaron" in output


def test_load_demo_data_does_nothing_once_real_customers_exist(db):
    make_company()

    run("load_demo_data")

    assert Customer.objects.count() == 1
