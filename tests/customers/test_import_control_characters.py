"""A cell holding a control character (NUL, the rest of C0 but tab / line feed / carriage return,
DEL, C1) in an import's file: its row is an error row with the services' message, the other rows
go on, the rejected-rows report is written (the cell without the characters) and the pages render.
Before: a NUL reached the matching query or the staged cells (jsonb) and the preview failed."""

import io
import pickle

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from customers import importing, spreadsheets
from customers.models import Contact, Customer, ImportJob
from peru.text import CONTROL_MESSAGE, control_character_cells
from tests.customers.test_import import HEADERS, company, person, preview, refused, run, xlsx
from tests.customers.test_import_sheets import workbook
from tests.roles import user_with_role


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


def report_rows(job: ImportJob, sheet="Clientes") -> list:
    job.error_report.open("rb")
    try:
        book = load_workbook(io.BytesIO(job.error_report.read()))
    finally:
        job.error_report.close()
    return [[cell.value for cell in row] for row in book[sheet].iter_rows()]


# --- .xlsx --------------------------------------------------------------------------------------


@pytest.mark.parametrize("index", [2, 3, 7])  # Número de documento, Razón social, Departamento
@pytest.mark.parametrize("escape", ["_x0000_", "_x0007_", "_x001B_", "_x007F_"])
def test_an_xlsx_cell_with_a_control_character_is_an_error_row(admin, index, escape):
    # openpyxl writes the text as it is; Excel's escape _xHHHH_ is read back (python-calamine)
    # as the character: NUL, BEL, ESC, DEL.
    row = company()
    row[index] = str(row[index]) + escape + "x"
    job = preview(admin, xlsx([row, company(name="Buena S.A.")]))
    assert (job.status, job.to_create, job.error_rows) == ("lista", 1, 1), (job.message, job.errors)
    # First the column that held it (what its text read without it would add to that column is
    # left out: "Limax" is no departamento, the Departamento column's error, not the Distrito's).
    assert job.errors[0] == [2, HEADERS[index], CONTROL_MESSAGE, "Clientes"]
    assert [e[:2] for e in job.errors[1:]] == []
    # The rejected-rows report: the row as it came, the control characters removed.
    errors, number, *cells = report_rows(job)[1]
    assert number == 2 and errors.startswith(f"{HEADERS[index]}: {CONTROL_MESSAGE}")
    assert cells[index] == str(row[index]).replace(escape, "")


def test_a_c1_control_character_and_an_ignored_column(admin):
    # C1 (U+0085, what a Latin-1 text read as UTF-8 leaves) in a column the import does not
    # read: the row still cannot be staged as it came, and the column is named by its header.
    rows = [company() + ["A\x85B"], company(name="Buena S.A.") + ["ok"]]
    job = preview(admin, xlsx(rows, headers=[*HEADERS, "Código interno"]))
    assert (job.to_create, job.error_rows) == (1, 1)
    assert job.errors == [[2, "Código interno", CONTROL_MESSAGE, "Clientes"]]


def test_the_other_errors_of_the_row_are_listed_too(admin):
    row = person(dni="12AB", first="Rosa_x0000_")
    row[HEADERS.index("Correos electrónicos")] = "rosa@"
    job = preview(admin, xlsx([row]))
    assert job.error_rows == 1
    assert {column: message for _, column, message, _ in job.errors} == {
        "Nombres": CONTROL_MESSAGE,
        "Número de documento": "El DNI solo puede tener números.",
        "Correos electrónicos": job.errors[-1][2],
    }, job.errors


def test_solo_las_validas_writes_the_valid_rows_and_reports_the_other(admin, client):
    bad = company(name="Mala_x0000_ S.A.")
    good = company(name="Buena S.A.")
    job = preview(admin, xlsx([bad, good]))
    job = run(admin, job, mode="validas")
    assert (job.status, job.created, job.rejected) == ("terminada", 1, 1), job.message
    assert list(Customer.objects.values_list("business_name", flat=True)) == ["Buena S.A."]
    assert report_rows(job)[1][:2] == [f"Razón social: {CONTROL_MESSAGE}", 2]
    assert report_rows(job)[1][2 + 3] == "Mala S.A."
    # The pages: the job's detail, the history and the rejected rows' download.
    client.force_login(admin)
    assert client.get(reverse("customers:import_detail", args=[job.pk])).status_code == 200
    assert client.get(reverse("customers:import")).status_code == 200
    response = client.get(reverse("customers:import_report", args=[job.pk]))
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(b"".join(response.streaming_content if response.streaming else [response.content])))


def test_all_or_nothing_is_refused_while_a_row_holds_a_control_character(admin):
    job = preview(admin, xlsx([company(name="Mala_x0001_ S.A."), company()]))
    with pytest.raises(ValidationError):
        importing.confirm_import(actor=admin, job=job, mode="todo")
    assert Customer.objects.count() == 0


def test_the_confirmed_import_reading_the_file_again_reports_it_too(admin):
    # Rules changed since the preview: the confirmed import reads and cleans the file again.
    job = preview(admin, xlsx([company(name="Mala_x0000_ S.A."), company(name="Buena S.A.")]))
    ImportJob.objects.filter(pk=job.pk).update(checked_rules={})
    job.refresh_from_db()
    job = run(admin, job, mode="validas")
    assert (job.status, job.created, job.rejected) == ("terminada", 1, 1), job.message
    assert report_rows(job)[1][0] == f"Razón social: {CONTROL_MESSAGE}"


def test_a_header_with_a_control_character_is_read_without_it_with_a_warning(admin):
    headers = [h + "_x0007_" if h == "Razón social" else h for h in HEADERS]
    job = preview(admin, xlsx([company()], headers=headers))
    assert (job.status, job.to_create, job.error_rows) == ("lista", 1, 0), (job.message, job.errors)
    assert job.warnings == ["El título «Razón social» tenía caracteres de control (invisibles); se leyó sin ellos."]
    assert [c["header"] for c in job.columns] == HEADERS
    job = run(admin, job)
    assert Customer.objects.get().business_name == "Gloria S.A."


# --- Direcciones and Contactos ------------------------------------------------------------------


def test_the_addresses_and_contacts_sheets(admin):
    ruc = company()[2]
    content = workbook(
        [company(ruc=ruc)],
        addresses=[
            ["RUC", ruc, "Entrega", "Lima", "Lima", "Ate", "Av. Nicolás_x0000_ Ayllón 2890"],
            ["RUC", ruc, "Entrega", "Lima", "Lima", "Ate", "Jr. Sol 12"],
        ],
        contacts=[["RUC", ruc, "Ana Torres", "Compras_x0008_", "987 111 222", None], ["RUC", ruc, "Luis Rojas"]],
    )
    job = preview(admin, content)
    assert (job.status, job.to_create) == ("lista", 1), job.message
    assert sorted(job.errors, key=str) == [
        [2, "Cargo", CONTROL_MESSAGE, "Contactos"],
        [2, "Dirección", CONTROL_MESSAGE, "Direcciones"],
    ]
    assert (job.sheets["Direcciones"]["add"], job.sheets["Contactos"]["add"]) == (1, 1)
    assert report_rows(job, "Direcciones")[1][2 + 6] == "Av. Nicolás Ayllón 2890"
    assert report_rows(job, "Contactos")[1][2 + 3] == "Compras"
    job = run(admin, job, mode="validas")
    assert (job.status, job.created) == ("terminada", 1), job.message
    assert list(Contact.objects.values_list("name", flat=True)) == ["Luis Rojas"]


def test_a_header_of_the_contacts_sheet(admin):
    ruc = company()[2]
    content = workbook([company(ruc=ruc)], contacts=[["RUC", ruc, "Ana Torres"]])
    book = load_workbook(io.BytesIO(content))
    book["Contactos"]["C1"] = "Nombre_x0000_"
    buffer = io.BytesIO()
    book.save(buffer)
    job = preview(admin, buffer.getvalue())
    assert (job.status, job.error_rows, job.sheets["Contactos"]["add"]) == ("lista", 0, 1), (job.message, job.errors)
    assert job.warnings == [
        "Hoja Contactos: El título «Nombre» tenía caracteres de control (invisibles); se leyó sin ellos."
    ]


# --- .csv and .xls ------------------------------------------------------------------------------

CSV_HEADERS = ["Tipo de cliente", "Número de documento", "Nombres", "Apellidos"]


def csv_bytes(rows, encoding) -> bytes:
    return "\r\n".join(";".join(row) for row in [CSV_HEADERS, *rows]).encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "character"),
    [("utf-8", "\x00"), ("utf-8", "\x85"), ("utf-8-sig", "\x1f"), ("cp1252", "\x07"), ("cp1252", "\x00")],
)
def test_a_csv_cell_with_a_control_character(admin, encoding, character):
    # A legacy system's export with one stray NUL is text: read, its row an error.
    rows = [["Persona natural", "", "José" + character, "Núñez"], ["Persona natural", "", "Rosa", "Peña"]]
    job = preview(admin, csv_bytes(rows, encoding), name="clientes.csv")
    assert (job.status, job.to_create, job.error_rows) == ("lista", 1, 1), (job.message, job.errors)
    assert job.errors == [[2, "Nombres", CONTROL_MESSAGE, "Clientes"]]
    job = run(admin, job, mode="validas")
    assert (job.created, job.rejected) == (1, 1)
    assert report_rows(job)[1][2:] == ["Persona natural", None, "José", "Núñez"]


def test_a_csv_header_with_a_nul(admin):
    content = csv_bytes([["Persona natural", "", "José", "Núñez"]], "utf-8").replace(b"Nombres", b"Nom\x00bres")
    job = preview(admin, content, name="clientes.csv")
    assert (job.status, job.to_create, job.error_rows) == ("lista", 1, 0), (job.message, job.errors)


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + b"\x08\x02" * 300,  # an image
        b"\xcf\xfa\xed\xfe\x07\x00\x00\x01\x03\x00\x00\x00" + b"\x01" * 600,  # a Mach-O executable
        bytes(range(256)) * 8,  # compressed or random bytes
        "Nombres;Apellidos\r\nJosé;Núñez\r\n".encode("utf-16-le"),  # UTF-16 without its BOM
        b"\x1f\x8b\x08\x00\x12\x34\x56\x78\x00\x03" + bytes(range(1, 256)) * 4,  # gzip
    ],
)
def test_binary_files_named_csv_are_still_refused(admin, content):
    assert "no es una hoja de cálculo" in refused(admin, content, "clientes.csv")


def test_an_xls_cell_with_a_control_character(admin):
    xlwt = pytest.importorskip("xlwt")  # installed with tablib[xls] (django-import-export)
    book = xlwt.Workbook()
    sheet = book.add_sheet("Clientes")
    rows = [CSV_HEADERS, ["Persona natural", "", "José\x00", "Núñez"], ["Persona natural", "", "Rosa", "Peña\x7f"]]
    rows.append(["Persona natural", "", "Ana", "Ruiz"])
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    job = preview(admin, buffer.getvalue(), name="clientes.xls")
    assert (job.status, job.to_create, job.error_rows) == ("lista", 1, 2), (job.message, job.errors)
    assert job.errors == [[2, "Nombres", CONTROL_MESSAGE, "Clientes"], [3, "Apellidos", CONTROL_MESSAGE, "Clientes"]]
    job = run(admin, job, mode="validas")
    assert list(Customer.objects.values_list("first_names", flat=True)) == ["Ana"]


# --- the reading ----------------------------------------------------------------------------------


def test_a_marked_row_keeps_its_positions_through_pickle():
    # The preview's worker processes receive the rows pickled.
    row = spreadsheets._row(["a\x00b", 1.0, None, "c\x9fd", "#N/A"])
    again = pickle.loads(pickle.dumps(row))  # noqa: S301  (our own bytes, as the pool sends them)
    assert again.__class__ is spreadsheets.ControlRow
    assert (list(again), again.control, again.errors) == (["ab", 1.0, None, "cd", "#N/A"], [0, 3], {4: "#N/A"})


def test_control_character_cells():
    from datetime import date, datetime, time, timedelta

    clean = ["Ana", 1.5, 3, True, None, date(2024, 1, 1), datetime(2024, 1, 1, 5), time(5), timedelta(1), "C:\\x"]
    assert control_character_cells(clean) == []
    assert control_character_cells([*clean, "\tok\r\n", "a\x00", "\ud800", "b\x1b"]) == [11, 13]
