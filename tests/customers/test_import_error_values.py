"""A spreadsheet error value (#N/A: a VLOOKUP that found nothing; #¡VALOR!, #¡REF!…) in a cell
the import reads is an error of its row and column, in every format: python-calamine reads an
error cell of an .xlsx, .xls or .ods as an empty cell, and a CSV saved by Excel holds it as text.
Before, a RUC #N/A was read as «no document» (the row matched a customer by its e-mail) and a
cupo #VALUE! as «no change»."""

import html
import io
import re

import pytest
import xlwt
from django.urls import reverse

from customers import spreadsheets
from customers.models import Customer
from tests.customers import test_import_ods
from tests.customers.test_import import HEADERS, company, person, preview, run, xlsx
from tests.customers.test_import_control_characters import report_rows
from tests.customers.test_import_sheets import ADDRESS_HEADERS, workbook
from tests.factories import make_person, valid_ruc
from tests.roles import user_with_role

DOCUMENT = HEADERS.index("Número de documento")


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


def message(error: str) -> str:
    return spreadsheets.EXCEL_ERROR_MESSAGE.format(error=error)


def _sheet_xml(content: bytes, change, part="xl/worksheets/sheet1.xml") -> bytes:
    return test_import_ods._rewritten(content, part, lambda data: change(data.decode()).encode())


def as_excel_writes_it(content: bytes) -> bytes:
    """openpyxl's error cells (<c r="C2" t="e"><v>#N/A</v></c>) as Excel writes a formula that
    failed: a style, the formula, then the error it gave."""
    return _sheet_xml(
        content,
        lambda xml: re.sub(
            r'<c r="([A-Z]+[0-9]+)" t="e"><v>([^<]*)</v></c>',
            r'<c r="\1" s="0" t="e"><f>VLOOKUP(A2,Hoja2!$A:$B,2,FALSE)</f><v>\2</v></c>',
            xml,
        ),
    )


# --- .xlsx -------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", [lambda c: c, as_excel_writes_it], ids=["openpyxl", "excel"])
def test_a_dni_that_is_na_is_an_error_not_a_customer_without_document_matched_by_email(admin, written):
    # Before: the row read as «no document» and updated Ana, matched by her e-mail.
    owner = make_person(first_names="Ana", last_names="Ruiz", document_number="", email="ana@correo.pe")
    na = person(dni="#N/A", first="Ana María", last="Ruiz", **{"Correos electrónicos": "ana@correo.pe"})
    job = preview(admin, written(xlsx([na, company(name="Buena S.A.")])))
    assert (job.status, job.to_create, job.to_update, job.error_rows) == ("lista", 1, 0, 1), job.errors
    assert job.errors[0] == [2, "Número de documento", message("#N/A"), "Clientes"]
    job = run(admin, job, mode="validas")
    assert (job.status, job.created, job.updated, job.rejected) == ("terminada", 1, 0, 1), job.message
    owner.refresh_from_db()
    assert owner.first_names == "Ana"
    assert Customer.objects.count() == 2
    # The rejected rows' report: the error in its column, the cell as the file had it.
    errors, number, *cells = report_rows(job)[1]
    assert number == 2 and errors.startswith(f"Número de documento: {message('#N/A')}")
    assert cells[DOCUMENT] == "#N/A"


def test_an_amount_that_is_value_is_an_error_of_its_column(admin):
    headers = [*HEADERS, "Cupo de crédito"]
    rows = [company(name="Mala S.A.") + ["#VALUE!"], company(name="Buena S.A.") + [1500]]
    job = preview(admin, as_excel_writes_it(xlsx(rows, headers=headers)))
    assert (job.to_create, job.error_rows) == (1, 1), job.errors
    assert job.errors == [[2, "Cupo de crédito", message("#VALUE!"), "Clientes"]]


def test_every_error_value_of_a_row_is_named_with_its_column_and_other_errors_of_the_row_too(admin):
    row = person(dni="#REF!", first="#DIV/0!", last="Quispe", **{"Correos electrónicos": "rosa@"})
    job = preview(admin, xlsx([row]))
    assert job.error_rows == 1
    by_column = {column: text for _, column, text, _ in job.errors}
    assert by_column["Número de documento"] == message("#REF!")
    assert by_column["Nombres"] == message("#DIV/0!")
    assert "Correos electrónicos" in by_column  # the row's other error is still said


def test_an_all_or_nothing_import_is_refused_while_a_cell_holds_an_error_value(admin):
    from django.core.exceptions import ValidationError

    from customers import importing

    # An optional column: read as empty (before), the row was valid and imported.
    job = preview(admin, xlsx([company(**{"Correos electrónicos": "#NAME?"}), company(name="Buena S.A.")]))
    with pytest.raises(ValidationError):
        importing.confirm_import(actor=admin, job=job, mode="todo")
    assert Customer.objects.count() == 0


def test_an_error_value_in_a_column_the_import_ignores_blocks_nothing(admin):
    rows = [company() + ["#N/A"]]
    job = preview(admin, xlsx(rows, headers=[*HEADERS, "Vendedor (BUSCARV)"]))
    assert (job.to_create, job.error_rows) == (1, 0), job.errors
    assert any("Vendedor (BUSCARV)" in w for w in job.warnings), job.warnings


def test_error_cells_written_without_their_reference_are_found_by_counting(admin):
    # OOXML lets a writer leave out a cell's reference (r): its place is counted.
    # The error cell follows its row's first two (A2, B2) without saying it is C2.
    content = _sheet_xml(xlsx([company(ruc="#N/A", name="Mala S.A.")]), lambda xml: xml.replace('<c r="C2"', "<c"))
    job = preview(admin, content)
    assert job.errors == [[2, "Número de documento", message("#N/A"), "Clientes"]]


def test_an_error_value_in_the_direcciones_and_contactos_sheets(admin):
    ruc = valid_ruc()
    content = workbook(
        [company(ruc=ruc)],
        addresses=[
            ["RUC", ruc, "Bodega", "Lima", "Lima", "#N/A", "Av. 1"],
            ["RUC", "#N/A", "", "Lima", "Lima", "Ate", "x"],
            ["RUC", ruc, "", "Lima", "Lima", "Ate", "Av. 3"],
        ],
        contacts=[["RUC", ruc, "Rosa Quispe", "Compras", "#REF!", ""], ["RUC", ruc, "Luis Soto", "", "", ""]],
    )
    job = preview(admin, content)
    # Each its own message only: «#N/A» is no district, and no customer's document.
    assert sorted(job.errors, key=lambda e: (e[3], e[0])) == [
        [2, "Teléfonos", message("#REF!"), "Contactos"],
        [2, "Distrito", message("#N/A"), "Direcciones"],
        [3, "Número de documento", message("#N/A"), "Direcciones"],
    ]
    assert ADDRESS_HEADERS[5] == "Distrito" and job.to_create == 1
    job = run(admin, job, mode="validas")
    customer = Customer.objects.get(document_number=ruc)
    assert list(customer.addresses.exclude(is_default=True).values_list("street", flat=True)) == ["Av. 3"]
    assert list(customer.contacts.values_list("name", flat=True)) == ["Luis Soto"]


def test_the_admin_import_says_it_and_writes_nothing(client, admin):
    from tests.customers.test_import_admin import upload

    client.force_login(admin)
    page = upload(client, xlsx([company(ruc="#N/A"), company(name="Buena S.A.")])).content.decode()
    assert message("#N/A") in html.unescape(page)
    assert 'name="import_file_name"' not in page
    assert Customer.objects.count() == 0


# --- .xls, .ods, .csv -------------------------------------------------------------------------


def _xls(cells) -> bytes:
    """An .xls of a bad and a good company with a Cupo de crédito column; ``cells(sheet)`` writes
    the bad row's document (its cell left empty) and cupo."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("Clientes")
    for column, title in enumerate([*HEADERS, "Cupo de crédito"]):
        sheet.write(0, column, title)
    for number, row in enumerate([company(name="Mala S.A."), company(name="Buena S.A.")], start=1):
        for column, value in enumerate(row):
            if value is not None and not (number == 1 and column == DOCUMENT):
                sheet.write(number, column, value)
    cells(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_xls_error_cell(admin):
    # BIFF's error codes: #N/A 0x2A, #VALUE! 0x0F.
    content = _xls(lambda sheet: (sheet.row(1).set_cell_error(DOCUMENT, 0x2A), sheet.write(1, len(HEADERS), 100)))
    job = preview(admin, content, name="clientes.xls")
    assert (job.to_create, job.error_rows) == (1, 1), job.errors
    assert job.errors == [[2, "Número de documento", message("#N/A"), "Clientes"]]


def test_an_xls_formula_whose_result_is_an_error(admin):
    # xlwt writes a formula's result as empty text: made the error Excel saves, #VALUE!.
    content = _xls(lambda sheet: (sheet.write(1, DOCUMENT, 1), sheet.write(1, len(HEADERS), xlwt.Formula("A1*2"))))
    result = b"\x03\x00\x00\x00\x00\x00\xff\xff"
    assert content.count(result) == 1
    job = preview(admin, content.replace(result, b"\x02\x00\x0f\x00\x00\x00\xff\xff"), name="clientes.xls")
    assert (job.to_create, job.error_rows) == (1, 1), job.errors
    assert [2, "Cupo de crédito", message("#VALUE!"), "Clientes"] in job.errors


def _ods_error(formula: str, shown: str, repeated: int = 1) -> str:
    # As LibreOffice Calc writes a formula that failed.
    again = f' table:number-columns-repeated="{repeated}"' if repeated > 1 else ""
    return (
        f'<table:table-cell table:formula="{formula}" office:value-type="string" office:string-value=""'
        f' calcext:value-type="error"{again}><text:p>{shown}</text:p></table:table-cell>'
    )


def test_an_ods_error_cell_counted_after_repeated_cells(admin):
    good = company(name="Buena S.A.")
    bad = company(name="Mala S.A.")
    rows = "".join(
        "<table:table-row>" + "".join(test_import_ods._cell(v) for v in row) + "</table:table-row>"
        for row in ([*HEADERS, "Cupo de crédito"], [*good, 100])
    )
    # Two empty cells as one repeated, the document a failed lookup, the cupo LibreOffice's own.
    cells = [test_import_ods._cell(v) for v in bad]
    cells[5:7] = ['<table:table-cell table:number-columns-repeated="2"/>']  # Nombres, Apellidos: empty
    cells[DOCUMENT] = _ods_error("of:=VLOOKUP([.A3];$Hoja2.$A$1:$B$9;2;0)", "#N/A")
    bad_row = "<table:table-row>" + "".join(cells) + _ods_error("of:=[.Z1]/", "Err:502") + "</table:table-row>"
    content = test_import_ods._package(f'<table:table table:name="Clientes">{rows}{bad_row}</table:table>')
    job = preview(admin, content, name="clientes.ods")
    assert (job.to_create, job.error_rows) == (1, 1), job.errors
    assert job.errors == [
        [3, "Número de documento", message("#N/A"), "Clientes"],
        [3, "Cupo de crédito", message("Err:502"), "Clientes"],
    ]


@pytest.mark.parametrize("error", ["#N/A", "#¡VALOR!", "#¡REF!", "#¿NOMBRE?", "#VALOR!", "#¡DIV/0!"])
@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_a_csv_saved_by_excel_holds_its_error_cells_as_text_and_they_are_errors(admin, error, encoding):
    lines = [
        ";".join(["Tipo de cliente", "Número de documento", "Razón social", "Giro", "Distrito", "Dirección", "Cupo"]),
        ";".join(["Empresa", valid_ruc(), "Mala S.A.", "Textil", "Ate", "Jr. Lima #123", error]),
        ";".join(["Empresa", valid_ruc(), "Buena S.A.", "Textil", "Ate", "Jr. Lima #124", "1500"]),
    ]
    job = preview(admin, "\r\n".join(lines).encode(encoding), name="clientes.csv")
    assert (job.to_create, job.error_rows) == (1, 1), job.errors
    assert job.errors == [[2, "Cupo de crédito", message(error), "Clientes"]]


# --- the rule ----------------------------------------------------------------------------------


def test_what_is_an_error_value_and_what_is_not():
    for text in (
        "#N/A",
        "#n/a",
        " #N/A ",
        "#¡VALOR!",
        "#VALUE!",
        "#¿NOMBRE?",
        "#NAME?",
        "#¡NULO!",
        "Err:502",
        "#SPILL!",
    ):
        assert spreadsheets.excel_error(text) == text.strip(), text
    for value in ("", "N/A", "#123", "Jr. Lima #123", "#N/A del proveedor", "Err:5020", "error", None, 42, 4.5):
        assert spreadsheets.excel_error(value) is None, value
    assert spreadsheets.error_cells(["a", 1, None, "#N/A", 2.5, "Err:504"]) == {3: "#N/A", 5: "Err:504"}
    assert spreadsheets.error_cells(["a", 1, None, "Jr. Lima #123"]) == {}


def test_the_preview_page_shows_it(client, admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from customers import importing

    job = importing.start_import(
        actor=admin, upload=SimpleUploadedFile("c.xlsx", xlsx([company(ruc="#N/A"), company(name="Buena S.A.")]))
    )
    job = importing.preview_import(job.pk)
    client.force_login(admin)
    page = html.unescape(client.get(reverse("customers:import_detail", args=[job.pk])).content.decode())
    assert message("#N/A") in page
