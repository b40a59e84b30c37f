"""The confirmed import's set-based write (customers.import_staging.apply): what it leaves in the
customer's phones and history, whichever way the statements get there."""

import pytest

from customers.models import Customer, CustomerNote, CustomerPhone
from tests.customers.test_import import HEADERS, company, preview, run, xlsx
from tests.factories import make_company
from tests.roles import user_with_role

PHONES = [*HEADERS, "Teléfonos", "WhatsApp"]


def _row(ruc, phones, whatsapp="No", name="Nueva Razón S.A.C."):
    return [*company(ruc=ruc, name=name), phones, whatsapp]


def _with_phones(*phones) -> Customer:
    """A company whose phones are ``phones`` ((number, whatsapp), in order), as the services keep them."""
    number, whatsapp = phones[0]
    customer = make_company(phone=number, has_whatsapp=whatsapp)
    CustomerPhone.objects.filter(customer=customer).delete()
    for position, (number, whatsapp) in enumerate(phones):
        CustomerPhone.objects.create(customer=customer, number=number, whatsapp=whatsapp, position=position)
    return customer


def _phones(customer) -> list:
    return list(customer.phones.order_by("position", "id").values_list("number", "whatsapp", "position"))


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


def test_an_update_leaves_exactly_the_files_phones_whatever_the_customer_had(admin):
    fewer = _with_phones(("+51911111111", True), ("+51922222222", False), ("+51933333333", False))
    more = _with_phones(("+51944444444", False))
    reordered = _with_phones(("+51955555555", False), ("+51966666666", False))
    job = preview(
        admin,
        xlsx(
            [
                _row(fewer.document_number, "977 777 777", whatsapp="Sí"),
                _row(more.document_number, "944 444 444, 988 888 888, 999 999 999"),
                _row(reordered.document_number, "966 666 666; 955 555 555"),
            ],
            headers=PHONES,
        ),
    )
    assert (job.to_update, job.error_rows) == (3, 0), job.errors
    job = run(admin, job)
    assert (job.status, job.updated) == ("terminada", 3), job.message

    assert _phones(fewer) == [("+51977777777", True, 0)]
    assert _phones(more) == [("+51944444444", False, 0), ("+51988888888", False, 1), ("+51999999999", False, 2)]
    assert _phones(reordered) == [("+51966666666", False, 0), ("+51955555555", False, 1)]
    for customer in (fewer, more, reordered):
        customer.refresh_from_db()
        record = customer.history.order_by("-history_id").first()
        # The history keeps the phones as written, and the list columns follow the first one.
        assert record.history_type == "~"
        assert record.phones == [[number, whatsapp] for number, whatsapp, _ in _phones(customer)]
        assert customer.phone == _phones(customer)[0][0]
        assert CustomerNote.objects.filter(customer=customer, kind=CustomerNote.Kind.IMPORTED).count() == 1


EMAILS = "a@nueva.pe, b@nueva.pe"


def test_a_created_customers_history_keeps_its_phones_and_emails(admin):
    job = preview(
        admin,
        xlsx(
            [[*company(name="Nueva S.A.C.", **{"Correos electrónicos": EMAILS}), "911 222 333", "Sí"]],
            headers=PHONES,
        ),
    )
    job = run(admin, job)
    assert (job.status, job.created) == ("terminada", 1), job.message
    created = Customer.objects.get(name="Nueva S.A.C.")
    (record,) = created.history.all()
    assert record.history_type == "+"
    assert record.phones == [["+51911222333", True]]
    assert record.emails == ["a@nueva.pe", "b@nueva.pe"]


def test_an_update_writes_only_what_each_row_changes_and_the_match_key_follows_the_name(admin):
    renamed = make_company(business_name="Antigua Razón S.A.C.", business_line="Lácteos")
    regiro = make_company(business_name="Se Queda S.A.C.", business_line="Lácteos")
    kept_key = Customer.objects.get(pk=regiro.pk).match_key
    job = preview(
        admin,
        xlsx(
            [
                company(ruc=renamed.document_number, name="Otra Razón S.A.C."),
                company(ruc=regiro.document_number, name="Se Queda S.A.C.", Giro="Bebidas"),
            ]
        ),
    )
    assert (job.to_update, job.error_rows) == (2, 0), job.errors
    job = run(admin, job)
    assert (job.status, job.updated) == ("terminada", 2), job.message
    renamed, regiro = Customer.objects.get(pk=renamed.pk), Customer.objects.get(pk=regiro.pk)
    assert (renamed.name, renamed.business_line, renamed.match_key) == ("Otra Razón S.A.C.", "Lácteos", "otra razon")
    assert (regiro.name, regiro.business_line, regiro.match_key) == ("Se Queda S.A.C.", "Bebidas", kept_key)


def test_deleting_a_user_keeps_the_customers_and_notes_they_imported(admin):
    # created_by and a note's author have no database check (migration 0038): Django's
    # on_delete still clears them when a user is deleted.
    importer = user_with_role("Administrador", username="importador")
    job = run(importer, preview(importer, xlsx([company(name="Importada S.A.C.")])))
    assert (job.status, job.created) == ("terminada", 1), job.message
    created = Customer.objects.get(name="Importada S.A.C.")
    note = CustomerNote.objects.get(customer=created, kind=CustomerNote.Kind.IMPORTED)
    assert (created.created_by_id, note.author_id) == (importer.pk, importer.pk)

    importer.delete()

    created.refresh_from_db()
    note.refresh_from_db()
    assert (created.created_by, note.author) == (None, None)


def _pending_search_pages() -> int:
    """Merges the trigram index's pending list and says how many pages it held."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('customer_search_trgm'::regclass)")
        return cursor.fetchone()[0]


def test_a_large_write_leaves_the_search_index_merged_for_whoever_writes_next(admin, monkeypatch):
    from django.db import connection

    from customers import import_staging

    monkeypatch.setattr(import_staging, "BATCHED_SEARCH_ROWS", 2)  # these 3 rows count as a large write
    existing = make_company(name="Antigua Razón S.A.C.")
    _pending_search_pages()
    job = preview(
        admin,
        xlsx(
            [
                _row(existing.document_number, "977 777 777"),
                _row(None, "944 444 444", name="Primera Nueva S.A.C."),
                _row(None, "955 555 555", name="Segunda Nueva S.A.C."),
            ],
            headers=PHONES,
        ),
    )
    job = run(admin, job)
    assert (job.status, job.created, job.updated) == ("terminada", 2, 1), job.message
    # The import merged its own trigrams: the next writer does not pay for them.
    assert _pending_search_pages() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('gin_pending_list_limit')")
        assert cursor.fetchone()[0] == "4MB"  # back to the default for the rest of the transaction
    assert set(Customer.objects.filter(search_text__contains="nueva").values_list("name", flat=True)) >= {
        "Primera Nueva S.A.C.",
        "Segunda Nueva S.A.C.",
    }


def test_a_small_write_leaves_the_search_index_to_postgresql(admin):
    _pending_search_pages()
    job = run(admin, preview(admin, xlsx([_row(None, "944 444 444", name="Sola Nueva S.A.C.")], headers=PHONES)))
    assert (job.status, job.created) == ("terminada", 1), job.message
    assert _pending_search_pages() > 0  # still pending: merged by whoever fills the list (or autovacuum)


def test_without_owning_the_index_the_import_keeps_postgresqls_default(db):
    from django.db import connection, transaction

    from customers import import_staging

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE ROLE clientes_not_owner")
        cursor.execute("SET LOCAL ROLE clientes_not_owner")
        assert import_staging._batch_search_index(cursor, 50_000) is False
        cursor.execute("SELECT current_setting('gin_pending_list_limit')")
        assert cursor.fetchone()[0] == "4MB"
        transaction.set_rollback(True)


def test_an_update_writes_every_kind_of_column_as_the_file_gave_it(admin):
    # The UPDATE reads each changed column straight from the staged row's JSON (typed), and the
    # arrays and JSON through jsonb_populate_record: booleans, numbers (a categoría), dates,
    # texts, an array and the attributes all land as staged, and the columns no row changes stay.
    from datetime import UTC, datetime

    from django.db import transaction

    from customers import import_staging
    from customers.models import Address, Category
    from tests.factories import make_address

    category = Category.objects.create(name="Importación tipada")
    customer = make_company(
        business_line="Lácteos", description="Antes", requests_detraction=False, loyalty_enrolled=True
    )
    other = make_company(business_line="Lácteos", country="PE")
    main_address = make_address(customer=other, district_id="150101", street="Jr. Antiguo 1")
    checked = datetime(2026, 11, 30, 15, 45, 10, tzinfo=UTC)
    fields = {
        "requests_detraction": True,
        "loyalty_enrolled": False,
        "category_id": category.pk,
        "registry_checked_at": checked.isoformat(),
        "business_line": "Bebidas «premium»",
        "description": 'Línea 1\nLínea 2 "con comillas"',
        "notification_emails": ["pagos@nueva.pe", "ventas@nueva.pe"],
        "attributes": {"7": ["a", "b"], "8": 12.5},
        "department_id": "08",
    }
    batch = "test-typed"
    import_staging.stage(
        batch,
        [
            import_staging.Staged(number=2, action="update", customer_id=customer.pk, fields=fields, note="Importado"),
            import_staging.Staged(
                number=3,
                action="update",
                customer_id=other.pk,
                fields={"country": "CL", "is_foreign": True},
                address={"district_id": "080101", "street": "Av. El Sol 5", "unit": "", "reference": ""},
                note="Importado",
            ),
        ],
    )
    with transaction.atomic():
        import_staging.check_again(batch, can_create=True, can_change=True)
        applied = import_staging.apply(batch, actor=admin, file_name="clientes.xlsx")
    assert sorted(applied.updated_ids) == sorted([customer.pk, other.pk])

    customer.refresh_from_db()
    assert (customer.requests_detraction, customer.loyalty_enrolled, customer.category_id) == (True, False, category.pk)
    assert customer.registry_checked_at == checked
    assert (customer.business_line, customer.description) == ("Bebidas «premium»", 'Línea 1\nLínea 2 "con comillas"')
    assert customer.notification_emails == ["pagos@nueva.pe", "ventas@nueva.pe"]
    assert customer.attributes == {"7": ["a", "b"], "8": 12.5}
    assert (customer.department_id, customer.country, customer.is_foreign) == ("08", "PE", False)
    other.refresh_from_db()
    assert (other.country, other.is_foreign, other.business_line) == ("CL", True, "Lácteos")
    # The main address follows the customer's country as the UPDATE left it.
    main_address = Address.objects.get(pk=main_address.pk)
    assert (main_address.street, main_address.district_id, main_address.country) == ("Av. El Sol 5", "080101", "CL")
