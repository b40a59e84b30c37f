"""CSVs as they come from outside. One whose lines came from two programs — rows added in a UTF-8
editor to a list Excel saved in Windows-1252 — is read line by line as each was written, not the
whole file as Windows-1252 (which turns the UTF-8 lines' «Núñez» into «NÃºÃ±ez» without a word).
One the csv module cannot read is refused in Spanish, naming its row."""

import pytest

from customers.models import Customer
from tests.customers.test_import import preview, run
from tests.factories import valid_ruc
from tests.roles import user_with_role


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


@pytest.mark.parametrize("titles_in", ["utf-8", "cp1252"])
def test_a_csv_with_utf8_and_windows_1252_lines_reads_each_as_written(admin, titles_in):
    titles = "Tipo de cliente;Número de documento;Nombres;Apellidos\r\n".encode(titles_in)
    content = (
        titles
        + "Persona natural;;José;Núñez Peña\r\n".encode()
        + "Persona natural;;María;Ibáñez Muñoz\r\n".encode("cp1252")
    )
    job = preview(admin, content, name="clientes.csv")
    assert (job.to_create, job.error_rows, job.warnings) == (2, 0, []), (job.errors, job.warnings)
    run(admin, job)
    assert sorted(Customer.objects.values_list("first_names", "last_names")) == [
        ("José", "Núñez Peña"),
        ("María", "Ibáñez Muñoz"),
    ]


def test_a_windows_1252_csv_still_reads_as_windows_1252(admin):
    # «É» then a no-break space: two bytes that happen to be valid UTF-8 (a different letter).
    content = "Tipo de cliente;Nombres;Apellidos\r\nPersona natural;JOSÉ\xa0;PEÑA ÑUFLO\r\n".encode("cp1252")
    job = preview(admin, content, name="clientes.csv")
    assert (job.to_create, job.error_rows) == (1, 0), job.errors
    run(admin, job)
    assert Customer.objects.get().last_names == "PEÑA ÑUFLO"
    assert Customer.objects.get().first_names == "JOSÉ"


def test_a_csv_cell_longer_than_any_spreadsheet_s_is_refused_in_spanish_naming_its_row(admin):
    # A quote left open swallows the rest of the file into one cell.
    content = ('Razón social;Giro\r\nGloria S.A.;Lácteos\r\n"Otra S.A.;' + "x" * 200_000 + "\r\n").encode()
    job = preview(admin, content, name="clientes.csv")
    assert job.status == "rechazada"
    assert job.message == (
        "El archivo CSV tiene en la fila 3 una celda demasiado larga (más de 131,068 caracteres): "
        "¿quedaron comillas sin cerrar?"
    )


ROW_TITLES = "Número de documento;Razón social;Giro;Departamento;Provincia;Distrito;Dirección"


def _row(document: str) -> str:
    return f"{document};Gloria S.A.;Lácteos;Lima;Lima;Miraflores;Av. Arequipa 1000"


def test_excel_s_separator_line_is_read_as_the_separator_not_as_titles(admin):
    # «sep=;»: the first line Excel writes (and reads) to say which separator the file uses.
    ruc = valid_ruc()
    text = f"sep=;\r\n{ROW_TITLES}\r\n{_row(ruc)}\r\n{_row('123')}\r\n"
    job = preview(admin, text.encode(), name="clientes.csv")
    assert (job.to_create, job.error_rows, job.warnings) == (1, 1, []), (job.message, job.errors)
    # Rows as Excel shows the file: without its «sep=» line.
    assert {error[0] for error in job.errors} == {3}


def test_a_document_kept_as_text_with_an_apostrophe_reads_as_its_digits(admin):
    # Typed «'20100070970» so that Excel keeps it as text; a CSV holds the apostrophe as it is.
    ruc, dni = valid_ruc(), "01234567"
    text = f"{ROW_TITLES}\r\n{_row(chr(39) + ruc)}\r\n"
    job = preview(admin, text.encode(), name="clientes.csv")
    assert (job.to_create, job.error_rows) == (1, 0), job.errors
    run(admin, job)
    assert Customer.objects.get().document_number == ruc
    person = f"Tipo de documento;Número de documento;Nombres;Apellidos\r\nDNI;'{dni};Rosa;Quispe\r\n"
    job = preview(admin, person.encode(), name="personas.csv")
    assert (job.to_create, job.error_rows) == (1, 0), job.errors
    run(admin, job)
    assert Customer.objects.filter(document_number=dni).exists()
