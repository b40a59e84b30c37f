"""A list typed without a title row («20100070970 | Gloria S.A. | Av. Larco 123 | …»): its first
row is a customer, read as row 1, its columns named «Columna A», «Columna B»… and guessed from
their values, the mapping step open; real title rows stay titles."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from customers import import_columns as cols
from customers import importing
from customers.models import Customer, ImportJob, ImportMapping, ImportStagedRow
from tests.customers.test_import import run
from tests.customers.test_import_examples import checked_in_workers
from tests.customers.test_import_page_states import _upload
from tests.customers.test_import_pages import _text
from tests.factories import make_company, valid_dni, valid_ruc
from tests.roles import user_with_role

WARNING = "El archivo no tiene fila de títulos: la fila 1 se leyó como datos. Revise qué dato es cada columna."
LETTERS = ["Columna A", "Columna B", "Columna C", "Columna D", "Columna E", "Columna F"]
# What the owner says the columns are in the mapping step.
CHOSEN = {
    "Columna A": "document_number",
    "Columna B": "business_name",
    "Columna C": "business_line",
    "Columna D": "street",
    "Columna E": "ubigeo",
    "Columna F": "phones",
}


def untitled_rows(count=3, rucs=None):
    rucs = rucs or [valid_ruc() for _ in range(count)]
    return [
        [ruc, f"Empresa {i} S.A.C.", "Comercio", f"Av. Larco {100 + i}", "150122", "01 470 7170"]
        for i, ruc in enumerate(rucs)
    ]


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    return buffer.getvalue().encode("cp1252")


def xls(rows) -> bytes:
    xlwt = pytest.importorskip("xlwt")  # installed with tablib[xls] (django-import-export)
    book = xlwt.Workbook()
    sheet = book.add_sheet("Clientes")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def admin(client, db):
    user = user_with_role("Administrador")
    client.force_login(user)
    return user


def preview(actor, content, name="lista.xlsx") -> ImportJob:
    job = importing.start_import(actor=actor, upload=SimpleUploadedFile(name, content))
    return importing.preview_import(job.pk)


def choose(actor, job, chosen=CHOSEN) -> ImportJob:
    mapping = {c["header"]: chosen.get(c["header"], "") for c in job.columns}
    importing.choose_columns(actor=actor, job=job, mapping=mapping)
    return importing.preview_import(job.pk)


# --- which first rows are data ----------------------------------------------------------------

BELOW = [["20100070970", "Gloria S.A.", "Miraflores", "Empresa", "ventas@gloria.pe"]] * 3


@pytest.mark.parametrize(
    "first",
    [
        ["20131312955", "Alicorp S.A.A.", "Surquillo", "Empresa", "compras@alicorp.pe"],  # a RUC, an e-mail
        [20131312955.0, "Alicorp S.A.A.", None, None, None],  # the RUC as Excel's number
        ["Alicorp S.A.A.", "", "", "", "compras@alicorp.pe"],  # an e-mail alone
        ["Alicorp S.A.A.", "", "Surquillo", "Empresa", ""],  # a district and a type, like the rows below
    ],
    ids=["ruc-and-email", "ruc-number", "email", "values-like-below"],
)
def test_a_first_row_of_values_is_data(db, first):
    assert cols.first_row_is_data(first, BELOW, cols.Lookups.load())


@pytest.mark.parametrize(
    "first",
    [
        ["RUC", "Razón social", "Distrito", "Tipo", "Correo"],
        ["Nro.", "Cliente", "Teléfono 1", "Teléfono 2", "E-mail"],
        ["N°", "Nombre", "Distrito", "Persona", "Email"],  # one title that is also a value (Persona)
        ["Documento", "Empresa", "Ciudad", "Tipo de cliente", "Correo electrónico"],
    ],
    ids=["template-like", "numbered", "one-word-value", "aliases"],
)
def test_a_title_row_stays_titles(db, first):
    below = [*BELOW, ["20131312955", "Alicorp S.A.A.", "Surquillo", "Persona natural", "compras@alicorp.pe"]]
    assert not cols.first_row_is_data(first, below, cols.Lookups.load())


def test_a_titled_file_is_read_as_before(admin):
    titles = ["RUC", "Razón social", "Giro", "Dirección", "Ubigeo", "Teléfono 1"]
    job = preview(admin, xlsx([titles, *untitled_rows(2)]))
    assert [c["header"] for c in job.columns][:2] == ["RUC", "Razón social"]
    assert WARNING not in job.warnings and job.to_create == 2, job.errors
    assert not importing.is_untitled(job.columns)


# --- the preview and the import ---------------------------------------------------------------


@pytest.mark.parametrize(("name", "build"), [("lista.xlsx", xlsx), ("lista.csv", csv_bytes), ("lista.xls", xls)])
def test_an_untitled_file_reads_its_first_row_as_a_customer(admin, name, build):
    rucs = [valid_ruc() for _ in range(3)]
    job = preview(admin, build(untitled_rows(rucs=rucs)), name=name)
    assert job.status == ImportJob.Status.READY
    assert [c["header"] for c in job.columns] == LETTERS
    assert WARNING in job.warnings
    # Guessed from their values: the RUCs, the ubigeos, the phones.
    keys = {c["header"]: c["key"] for c in job.columns}
    assert (keys["Columna A"], keys["Columna E"], keys["Columna F"]) == ("document_number", "ubigeo", "phones")
    assert job.rows_total == 3
    # Without the razón social column every row is an error, numbered as the sheet numbers it.
    assert sorted({error[0] for error in job.errors}) == [1, 2, 3]

    job = choose(admin, job)
    assert (job.status, job.to_create, job.error_rows) == ("lista", 3, 0), job.errors
    assert WARNING in job.warnings
    job = run(admin, job)
    assert job.status == ImportJob.Status.DONE and job.created == 3
    assert set(Customer.objects.values_list("document_number", flat=True)) == set(rucs)
    assert Customer.objects.get(document_number=rucs[0]).business_name == "Empresa 0 S.A.C."


def test_the_page_opens_the_mapping_step_and_warns(client, admin):
    job, html = _upload(client, xlsx(untitled_rows()), name="lista-vieja.xlsx")
    page = _text(html)
    assert WARNING in page
    assert 'id="import-columns" open' in html
    assert "«Columna A»" in page and "«Columna F»" in page
    response = client.post(
        reverse("customers:import_columns", args=[job.pk]),
        {f"col_{i}": CHOSEN.get(c["header"], "") for i, c in enumerate(job.columns)},
        follow=True,
    )
    job.refresh_from_db()
    assert (job.to_create, job.error_rows) == (3, 0), job.errors
    assert 'id="import-columns" open' in response.content.decode()  # still to be looked at


def test_an_untitled_file_nothing_is_recognized_in_waits_for_its_columns(admin):
    job = preview(admin, xlsx([["Rosa Elena", "Quispe Mamani", "16/03/2024"], ["Juan Carlos", "Pérez Soto", "b"]]))
    assert job.status == ImportJob.Status.MAPPING
    assert [c["header"] for c in job.columns] == LETTERS[:3]
    assert job.warnings == [WARNING]
    assert job.columns[0]["samples"] == ["Rosa Elena", "Juan Carlos"]
    job = choose(admin, job, {"Columna A": "first_names", "Columna B": "last_names"})
    assert (job.to_create, job.error_rows) == (2, 0), job.errors


def test_the_confirmed_import_reads_the_first_row_again_when_it_cleans_again(admin):
    rucs = [valid_ruc() for _ in range(2)]
    job = choose(admin, preview(admin, xlsx(untitled_rows(rucs=rucs))))
    # What the checks depended on changed: the import cleans the file again (_clean_and_write).
    ImportJob.objects.filter(pk=job.pk).update(checked_rules={})
    job.refresh_from_db()
    job = run(admin, job)
    assert (job.status, job.created) == ("terminada", 2), job.message
    assert set(Customer.objects.values_list("document_number", flat=True)) == set(rucs)


def test_a_first_row_that_fails_at_the_write_is_reported_with_its_cells(admin):
    rucs = [valid_ruc() for _ in range(2)]
    job = choose(admin, preview(admin, xlsx(untitled_rows(rucs=rucs))))
    assert (job.to_create, job.error_rows) == (2, 0), job.errors
    # Someone registers row 1's RUC after the preview: that row becomes an error at the write,
    # and the report reads its cells again from the file (row 1, not the titles it is not).
    make_company(document_number=rucs[0], business_name="Registrada Antes S.A.C.")
    job = run(admin, job, mode="validas")
    assert (job.status, job.created, job.rejected) == ("terminada", 1, 1), job.message
    report = load_workbook(io.BytesIO(job.error_report.read()))["Clientes"]
    rows = [[cell.value for cell in row] for row in report.iter_rows()]
    assert rows[0][2:] == ["Número de documento", "Razón social", "Giro", "Dirección", "Ubigeo", "Teléfonos"]
    assert rows[1][1] == 1 and str(rows[1][2]) == rucs[0] and rows[1][3] == "Empresa 0 S.A.C."


def test_the_rejected_rows_of_an_untitled_file_uploaded_again_are_read_as_they_were_mapped(admin):
    rucs = [valid_ruc() for _ in range(2)]
    rows = untitled_rows(rucs=rucs)
    rows[1][4] = "999999"  # no such ubigeo
    job = run(admin, choose(admin, preview(admin, xlsx(rows))), mode="validas")
    assert (job.status, job.created, job.rejected) == ("terminada", 1, 1), job.message
    # Fixed in the report itself and uploaded again: no mapping step to go through again.
    report = load_workbook(io.BytesIO(job.error_report.read()))
    report["Clientes"].cell(2, 2 + 5, "150122")
    buffer = io.BytesIO()
    report.save(buffer)
    again = preview(admin, buffer.getvalue(), name="clientes-errores.xlsx")
    assert {c["header"]: c["key"] for c in again.columns if c["key"]} == {
        "Número de documento": "document_number",
        "Razón social": "business_name",
        "Giro": "business_line",
        "Dirección": "street",
        "Ubigeo": "ubigeo",
        "Teléfonos": "phones",
    }
    assert (again.status, again.to_create, again.error_rows) == ("lista", 1, 0), again.errors


# --- remembering the mapping ------------------------------------------------------------------


def test_the_mapping_of_an_untitled_file_is_remembered_for_the_same_layout_only(admin):
    job = choose(admin, preview(admin, xlsx(untitled_rows())))
    assert ImportMapping.objects.count() == 1
    assert ImportMapping.objects.get().headers_key != importing.headers_key(LETTERS)

    again = preview(admin, xlsx(untitled_rows()), name="otra.xlsx")
    assert {c["header"]: c["key"] for c in again.columns} == CHOSEN
    assert {c["how"] for c in again.columns} == {"guardado"}
    assert (again.to_create, again.error_rows) == (3, 0), again.errors

    # As many columns, another list: e-mails where the addresses were, names where the RUCs were.
    other = [[f"Cliente {i}", valid_dni(), f"c{i}@correo.pe", "Comercio", "150122", "01 470 7170"] for i in range(3)]
    job = preview(admin, xlsx(other), name="otra-lista.xlsx")
    assert "guardado" not in {c["how"] for c in job.columns}
    assert {c["header"]: c["key"] for c in job.columns}["Columna A"] != "document_number"


# --- the worker processes and the admin --------------------------------------------------------


@pytest.fixture
def committed_admin(transactional_db, reference_data):
    # Worker processes read committed rows only: no test transaction around this test.
    return user_with_role("Administrador")


def test_worker_processes_check_the_first_row_too(committed_admin, monkeypatch, settings):
    calls = checked_in_workers(monkeypatch, settings)
    job = choose(committed_admin, preview(committed_admin, xlsx(untitled_rows(10))))
    assert calls == [2, 2]  # the first preview and the one after the mapping
    assert (job.to_create, job.error_rows, job.rows_total) == (10, 0, 10), job.errors
    assert set(ImportStagedRow.objects.filter(sheet="").values_list("number", flat=True)) == set(range(1, 11))


def test_an_untitled_column_no_value_told_is_not_called_no_customer_data(admin):
    job = preview(admin, xlsx(untitled_rows()))
    assert not any(w.startswith("Se ignoró la columna") for w in job.warnings)
    assert "La columna «Columna A» se leyó como «Número de documento» (por su nombre o sus datos)." in job.warnings


@pytest.mark.parametrize("kind", ["xlsx", "xls", "csv"])
def test_rows_and_columns_keep_the_sheet_s_numbers_and_letters_below_blank_rows(admin, kind):
    rows = untitled_rows(2)
    if kind == "csv":
        content = csv_bytes([[], [], *rows])
    else:  # rows 1 and 2 and column A left empty
        content = {"xlsx": xlsx, "xls": xls}[kind]([[], [], *[[None, *row] for row in rows]])
    job = preview(admin, content, name=f"lista.{kind}")
    assert importing.untitled_warning(3) in job.warnings
    assert sorted({error[0] for error in job.errors}) == [3, 4]  # no razón social yet: errors
    headers = [c["header"] for c in job.columns if c["key"] == "document_number"]
    assert headers == (["Columna A"] if kind == "csv" else ["Columna B"])
