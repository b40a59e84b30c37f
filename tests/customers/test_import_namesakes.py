"""Rows with neither document nor e-mail can't be matched (README: by document, else by e-mail),
so a list uploaded again would create its customers a second time: the preview warns, before
anything is written, when such a row has the name of a registered customer."""

import pytest
from django.db import connection

from customers import importing
from customers.models import Customer
from customers.services.lifecycle import trash_customer
from tests.customers.test_import import person, preview, run, xlsx
from tests.factories import make_person, valid_dni
from tests.roles import user_with_role


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


def _namesake():
    """A registered person without e-mail (a company always has its RUC: only persons may come
    without a document)."""
    return make_person(
        first_names="María José", last_names="Núñez Quispe", document_type_id="1", document_number=valid_dni(), email=""
    )


def test_rows_without_document_nor_email_named_like_a_customer_are_announced_with_their_numbers(admin):
    _namesake()
    make_person(first_names="Ana", last_names="Ruiz", document_type_id="1", document_number="", email="")
    rows = [
        person(first="MARIA JOSE", last="NUNEZ QUISPE"),  # row 2: the same name, folded
        person(first="María José", last="Núñez Quispe", **{"Correos electrónicos": "mj@correo.pe"}),
        person(dni=valid_dni(), first="María José", last="Núñez Quispe"),  # another DNI: another person
        person(first="Rosa", last="Núñez Quispe"),  # nobody has that name
        person(first="Ana", last="Ruiz"),  # row 6
    ]
    job = preview(admin, xlsx(rows))
    assert (job.to_create, job.error_rows) == (5, 0), job.errors
    assert job.warnings == [
        "2 filas sin documento ni correo tienen el mismo nombre que un cliente existente: se crearán como "
        "clientes nuevos (filas 2, 6). Si son los mismos clientes, agregue su documento o correo en el "
        "archivo para que se actualicen."
    ]
    # A warning, not an error: the user may still confirm.
    before = Customer.objects.count()
    job = run(admin, job)
    assert (job.status, job.created) == ("terminada", 5)
    assert Customer.objects.count() == before + 5


def test_one_such_row_is_told_in_the_singular(admin):
    _namesake()
    job = preview(admin, xlsx([person(first="Maria Jose", last="Nuñez Quispe")]))
    assert job.warnings == [
        "1 fila sin documento ni correo tiene el mismo nombre que un cliente existente: se creará como "
        "cliente nuevo (fila 2). Si es el mismo cliente, agregue su documento o correo en el archivo para "
        "que se actualice."
    ]


def test_a_namesake_in_the_papelera_is_not_announced(admin):
    trash_customer(actor=admin, customer=_namesake())
    job = preview(admin, xlsx([person(first="María José", last="Núñez Quispe")]))
    assert job.warnings == []


def test_a_long_list_shows_twenty_row_numbers_and_how_many_more(admin):
    _namesake()
    job = preview(admin, xlsx([person(first="María José", last="Núñez Quispe") for _ in range(23)]))
    (warning,) = job.warnings
    assert warning.startswith("23 filas sin documento ni correo")
    assert "(filas 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21 y 3 más)" in warning


def _many_other_names(customer, count: int) -> None:
    """``count`` copies of a customer, each with a name of its own and no document, then ANALYZE:
    the planner sees many distinct names, as in an office's data, whatever earlier tests left."""
    table = customer._meta.db_table
    columns = [f.column for f in customer._meta.concrete_fields if f.column != "id" and not f.generated]
    values = {"sort_key": "c.sort_key || ' ' || n", "name": "c.name || ' ' || n", "document_number": "''"}
    chosen = ", ".join(values.get(column, f"c.{column}") for column in columns)
    with connection.cursor() as cursor:
        copies = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {chosen} FROM {table} c"  # noqa: S608
        cursor.execute(copies + ", generate_series(1, %s) n WHERE c.id = %s", [count, customer.pk])
        cursor.execute(f"ANALYZE {table}")


def test_the_lookup_goes_through_the_match_key_index(admin):
    """At 1,000,000 customers a scan of the table would cost seconds: the names of the rows without
    document nor e-mail are looked up in customer_match_key_idx."""
    _many_other_names(_namesake(), 3_000)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + importing.NAMES_TAKEN_SQL, [["maria jose nunez quispe", "ana ruiz"]])
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "customer_match_key_idx" in plan and "Seq Scan" not in plan, plan
