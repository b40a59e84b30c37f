"""Columns nothing can read. One with data under an empty title, in a file that has titles:
ignored — and the preview says so, naming it by its letter, rather than dropping its data
without a word. A file a thousand columns wide: one warning for them, and a mapping step that
can still be applied."""

import pytest
from django.urls import reverse

from tests.customers.test_import import HEADERS, company, preview, xlsx
from tests.customers.test_import_sheets import preview as preview_sheets
from tests.customers.test_import_sheets import workbook
from tests.factories import valid_ruc
from tests.roles import user_with_role


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


def test_a_column_with_data_but_no_title_is_named_in_a_warning(admin):
    # The e-mails typed without their title (column L, the last one).
    rows = [company(**{"Correos electrónicos": "ventas@gloria.pe"})]
    job = preview(admin, xlsx(rows, headers=[*HEADERS[:-1], ""]))
    assert job.to_create == 1
    assert job.warnings == [
        "Se ignoró la columna L: tiene datos pero no tiene título. Escriba su título en la primera fila "
        "(el de la plantilla) y vuelva a subir el archivo."
    ]


def test_data_beyond_the_last_title_of_a_csv_is_named_in_a_warning(admin):
    ruc = valid_ruc()
    text = (
        "Número de documento;Razón social;Giro;Departamento;Provincia;Distrito;Dirección\r\n"
        f"{ruc};Gloria S.A.;Lácteos;Lima;Lima;Miraflores;Av. Arequipa 1000;ventas@gloria.pe;987654321;VIP\r\n"
    )
    job = preview(admin, text.encode(), name="clientes.csv")
    assert job.to_create == 1
    assert job.warnings == [
        "Se ignoraron las columnas H, I y J: tienen datos pero no tienen título. Escriba sus títulos en la primera "
        "fila (los de la plantilla) y vuelva a subir el archivo."
    ]


def test_an_empty_column_without_title_says_nothing(admin):
    job = preview(admin, xlsx([company() + [None]], headers=[*HEADERS, ""]))
    assert (job.to_create, job.warnings) == (1, [])


def test_a_child_sheet_s_column_without_title_is_named_in_a_warning(admin):
    ruc = valid_ruc()
    content = workbook(
        customers=[company(ruc=ruc)],
        contacts=[["RUC", ruc, "Ana Torres", "Gerente", "987654321", "ana@gloria.pe", "jefa de compras"]],
    )
    job = preview_sheets(admin, content)
    assert job.warnings == [
        "Hoja Contactos: se ignoró la columna G: tiene datos pero no tiene título. Escriba su título en la "
        "primera fila (el de la plantilla) y vuelva a subir el archivo."
    ]


def _thousand_columns(admin):
    """The preview of a file with the template's columns and a thousand more of its own."""
    extra = [f"Dato {n}" for n in range(1, 1001)]
    return preview(admin, xlsx([company() + ["x"] * 1000], headers=[*HEADERS, *extra]))


def test_a_thousand_unknown_columns_are_one_warning_not_a_thousand(admin, client):
    client.force_login(admin)
    job = _thousand_columns(admin)
    assert job.to_create == 1
    assert job.warnings == [
        "Se ignoraron 1,000 columnas que no son datos de clientes: «Dato 1», «Dato 2», «Dato 3», «Dato 4», "
        "«Dato 5», «Dato 6», «Dato 7», «Dato 8», «Dato 9», «Dato 10» y 990 más."
    ]


def test_the_columns_of_a_thousand_column_file_can_be_applied(admin, client):
    # The mapping step's form has a field per column (and one per value for every row): a
    # thousand columns must not be refused as «Solicitud no válida» (Django's field limit).
    client.force_login(admin)
    job = _thousand_columns(admin)
    posted = {f"col_{index}": column["key"] for index, column in enumerate(job.columns)}
    posted.update({f"const_{key}": "" for key in ("business_line", "country", "category", "customer_class")})
    response = client.post(reverse("customers:import_columns", args=[job.pk]), posted)
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.to_create) == ("lista", 1)
