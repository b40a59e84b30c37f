"""A large import part checks the foreign keys of what it writes once, set-based, instead of row by
row at PREPARE (customers.import_staging.check_references / check_customers): the same result,
and a row pointing nowhere still fails the whole import with nothing written."""

import pytest
from django.db import IntegrityError, connection, transaction

from customers import import_staging
from customers.models import Address, Contact, Customer, CustomerEmail, CustomerNote, CustomerPhone, ImportStagedRow
from tests.customers import test_import_parallel as parallel
from tests.customers.test_import import company
from tests.customers.test_import_parallel import _outcome, _prepared, _scenario
from tests.customers.test_import_sheets import preview, run, workbook
from tests.factories import make_company, valid_ruc

# The same fixtures: a transactional admin; two connections from the first row to write.
admin, two_connections = parallel.admin, parallel.two_connections


@pytest.fixture
def checked_once(monkeypatch):
    """Every part checks its foreign keys once (production: parts of 2,000 rows or more); the
    calls of check_customers, to know the path was taken."""
    monkeypatch.setattr(import_staging, "CHECKED_ONCE_ROWS", 1)
    calls = []
    original = import_staging.check_customers

    def spy(cursor, batch, part, *, written):
        calls.append(part)
        return original(cursor, batch, part, written=written)

    monkeypatch.setattr(import_staging, "check_customers", spy)
    return calls


def test_checked_once_writes_what_row_by_row_checks_write(admin, monkeypatch, checked_once):
    monkeypatch.setattr(import_staging, "CHECKED_ONCE_ROWS", 10**9)
    job, documents = _scenario(admin, "-filas")
    row_by_row = _outcome(run(admin, job, mode="validas"), documents, "-filas")
    assert checked_once == []

    monkeypatch.setattr(import_staging, "CHECKED_ONCE_ROWS", 1)
    job, documents = _scenario(admin, "-una")
    once = _outcome(run(admin, job, mode="validas"), documents, "-una")
    assert len(checked_once) == 2  # both parts

    assert once == row_by_row
    assert once["job"]["status"] == "terminada"


@pytest.mark.parametrize("once", [True, False], ids=["checked once", "row by row"])
def test_an_address_in_a_district_that_does_not_exist_fails_the_whole_import(admin, monkeypatch, once):
    monkeypatch.setattr(import_staging, "CHECKED_ONCE_ROWS", 1 if once else 10**9)
    rucs = [valid_ruc() for _ in range(6)]
    job = preview(admin, workbook([company(ruc=ruc, name=f"Empresa {n} S.A.") for n, ruc in enumerate(rucs)]))
    assert job.to_create == 6
    # A staged row whose district went away after the preview (what the database refuses).
    staged = ImportStagedRow.objects.filter(batch=f"job-{job.pk}", action="create").order_by("number").last()
    staged.address = {**staged.address, "district_id": "999999"}
    staged.save(update_fields=["address"])

    job = run(admin, job, mode="validas")

    assert job.status == "fallida"
    assert "no se guardó nada" in job.message
    assert not Customer.objects.filter(document_number__in=rucs).exists()
    assert _prepared() == []


def test_a_part_checked_once_turns_the_row_checks_back_on_for_what_follows(admin, checked_once):
    job = preview(admin, workbook([company(name=f"Empresa {n} S.A.") for n in range(3)]))
    with transaction.atomic():
        import_staging.check_again(f"job-{job.pk}", can_create=True, can_change=True)
        import_staging.apply(f"job-{job.pk}", actor=admin, file_name=job.file_name, since=job.previewed_at)
        with connection.cursor() as cursor:
            cursor.execute("SHOW session_replication_role")
            assert cursor.fetchone()[0] == "origin"
        transaction.set_rollback(True)
    assert checked_once == [None]


def test_a_customer_pointing_at_a_departamento_that_does_not_exist_is_refused(admin):
    customer = make_company()
    with transaction.atomic():
        # Deferred constraint: the database itself would refuse it only at the commit.
        Customer.objects.filter(pk=customer.pk).update(department_id="99")
        with connection.cursor() as cursor, pytest.raises(IntegrityError, match="department_id"):
            import_staging.check_references(cursor, Customer, [customer.pk])
        transaction.set_rollback(True)


def test_a_staged_row_pointing_at_a_customer_that_does_not_exist_is_refused(admin):
    customer = make_company()
    batch = "job-checks"
    import_staging.stage(
        batch,
        [
            import_staging.Staged(number=2, action="update", customer_id=customer.pk, fields={}),
            import_staging.Staged(number=3, action="address", sheet="Direcciones", customer_id=customer.pk + 10**6),
        ],
    )
    with transaction.atomic(), connection.cursor() as cursor:
        with pytest.raises(IntegrityError, match="1 customers"):
            import_staging.check_customers(cursor, batch, None, written=[])
        transaction.set_rollback(True)
    with transaction.atomic(), connection.cursor() as cursor:
        ImportStagedRow.objects.filter(batch=batch, action="address").delete()
        import_staging.check_customers(cursor, batch, None, written=[])  # the registered one: fine
        transaction.set_rollback(True)
    import_staging.discard(batch)


def test_what_an_import_writes_unchecked_points_only_where_the_checks_look(db):
    """check_references covers every constrained key but those to customers; check_customers
    covers those of the children, which take their customer from the staged rows. A new
    constrained key on phones, e-mails or notes, or a constraint referencing what the import
    writes (besides the merges' reference to a note, which the import only inserts), would
    need a check of its own."""
    for model in (CustomerPhone, CustomerEmail, CustomerNote, Contact):
        keys = [f.target_field.model for f in model._meta.concrete_fields if f.many_to_one and f.db_constraint]
        assert keys == [Customer], model
    written = [m._meta.db_table for m in (CustomerPhone, CustomerEmail, CustomerNote, Contact, Address)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
            " WHERE contype = 'f' AND confrelid::regclass::text = ANY(%s)",
            [written],
        )
        assert cursor.fetchall() == [("customers_customermerge", "customers_customernote")]
