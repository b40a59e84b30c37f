"""A sheet with one cell far from the others (A1 and CV900000): python-calamine builds every
sheet as a rectangle, every cell between included, so a few kilobytes asked it for gigabytes
before the row cap could count a row. Such a workbook is refused with a sentence naming the cell,
before calamine opens it, whichever way the sheet writes its cells; nothing is imported."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook
from openpyxl.styles import Font

from customers.models import Customer, ImportJob
from tests.customers.test_import import HEADERS, person, preview, refused, xlsx
from tests.roles import user_with_role


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


@pytest.fixture
def small_cap(settings):
    # 100 rows of 100 columns: the far cells below stay a few megabytes for calamine, whatever
    # the code under test does with them.
    settings.IMPORT_MAX_ROWS = 100


def far_cell(reference: str, title="Clientes") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet["A1"] = "Tipo de cliente"
    sheet[reference] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_sheet_data(sheet_data: str, *, sheets: int = 1) -> bytes:
    """An openpyxl workbook whose sheet's <sheetData> is ``sheet_data`` as written here (Excel
    and other programs write cells in ways openpyxl does not), named ``sheets`` times by the
    workbook (as many sheets, one part)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx([person()])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<sheetData>.*</sheetData>", f"<sheetData>{sheet_data}</sheetData>".encode(), data)
            if item.filename == "xl/workbook.xml" and sheets > 1:
                one = re.search(rb"<sheet [^>]*/>", data).group()
                copies = b"".join(
                    one.replace(b'name="Clientes"', f'name="Copia {n}"'.encode()).replace(
                        b'sheetId="1"', f'sheetId="{n + 1}"'.encode()
                    )
                    for n in range(1, sheets)
                )
                data = data.replace(one, one + copies)
            archive.writestr(item, data)
    return buffer.getvalue()


def text(reference: str | None, value: str = "x") -> str:
    at = f' r="{reference}"' if reference else ""
    return f'<c{at} t="inlineStr"><is><t>{value}</t></is></c>'


def test_the_red_team_file_is_refused_naming_its_far_cell_before_calamine_builds_it(admin):
    # 4.8 KB: A1 and CV900000. Calamine would have asked for 900,000 × 100 cells (2.9 GB).
    content = far_cell("CV900000")
    assert len(content) < 6_000
    message = refused(admin, content, "clientes.xlsx")
    assert message.startswith("La hoja «Clientes» tiene datos en la celda CV900000: leer el libro ocuparía 90,000,000")
    assert "más de las que caben en 200,000 filas de 100 columnas" in message


@pytest.mark.parametrize(
    ("shape", "sheet_data", "named"),
    [
        ("far right", text("A1", "Tipo de cliente") + text("XFD1"), "en la celda XFD1"),
        ("far down", f'<row r="1">{text("A1", "Tipo")}</row><row r="1048576">{text("A1048576")}</row>', "A1048576"),
        ("rows out of order", f'<row r="5000">{text("CV5000")}</row><row r="1">{text("A1", "Tipo")}</row>', "CV5000"),
        ("a cell in another row's tag", f'<row r="1">{text("A1", "Tipo")}{text("CV5000")}</row>', "CV5000"),
        ("lowercase", f'<row r="1">{text("A1", "Tipo")}</row><row r="5000">{text("cv5000")}</row>', "CV5000"),
        (
            "a second reference, the one calamine reads",
            f'<row r="1">{text("A1", "Tipo")}<c r="B1" r="CV5000"><v>1</v></c></row>',
            "CV5000",
        ),
        ("spaces around =", f'<row r="1">{text("A1", "Tipo")}<c r = "CV5000"><v>1</v></c></row>', "CV5000"),
        (
            "two far cells",
            f'<row r="1">{text("A1", "Tipo")}{text("CV1")}</row><row r="5000">{text("A5000")}</row>',
            "CV1 y A5000",
        ),
    ],
)
def test_a_far_cell_is_refused_however_the_sheet_writes_it(admin, small_cap, shape, sheet_data, named):
    message = refused(admin, with_sheet_data(sheet_data), "clientes.xlsx")
    assert message.startswith("La hoja «Clientes» tiene datos en ")
    assert named in message
    assert "más de las que caben en 100 filas de 100 columnas" in message


@pytest.mark.parametrize(
    ("shape", "sheet_data"),
    [
        # Excel allows leaving out r: calamine places such a cell after the previous one, on the
        # row after the previous row.
        ("cells without r", f'<row r="1">{text(None, "Tipo")}</row><row r="5000">{text(None) * 100}</row>'),
        (
            "rows without r",
            f'<row r="1">{text("A1", "Tipo")}</row><row r="4999"></row><row>{text("CV5000")}{text(None)}</row>',
        ),
        (
            "namespace prefixes",
            '<row r="1"><x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="A1" t="inlineStr">'
            '<x:is><x:t>Tipo</x:t></x:is></x:c></row><row r="5000"><x:c xmlns:x="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" r="CV5000" t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c></row>',
        ),
    ],
)
def test_a_sheet_placing_cells_by_where_they_come_is_measured_by_calamine_in_a_bounded_process(
    admin, small_cap, shape, sheet_data
):
    message = refused(admin, with_sheet_data(sheet_data), "clientes.xlsx")
    assert message.startswith("Leer el libro ocuparía ")
    assert "más de las que caben en 100 filas de 100 columnas" in message


def test_one_sheet_named_twice_by_the_workbook_counts_twice(admin, small_cap):
    # 60 rows of 100 columns fit (6,000 cells of 10,100); calamine reads the part for each name.
    rows = "".join(f'<row r="{n}">{text(f"A{n}", "Tipo")}{text(f"CV{n}")}</row>' for n in range(1, 61))
    assert preview(admin, with_sheet_data(rows)).status != ImportJob.Status.REFUSED
    Customer.objects.all().delete()
    message = refused(admin, with_sheet_data(rows, sheets=2), "clientes.xlsx")
    assert message.startswith("Leer el libro ocuparía 12,000 celdas")


def test_an_xls_with_a_far_cell_is_refused(admin, small_cap):
    xlwt = pytest.importorskip("xlwt")  # installed with tablib[xls] (django-import-export)
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Clientes")
    sheet.write(0, 0, "Tipo de cliente")
    sheet.write(4999, 200, "x")  # GS5000: one sheet of 5,000 × 201 cells
    buffer = io.BytesIO()
    workbook.save(buffer)
    message = refused(admin, buffer.getvalue(), "clientes.xls")
    assert message.startswith("Leer el libro ocuparía 1,005,000 celdas")


def test_the_page_says_why_a_far_cell_file_was_refused_and_imports_nothing(client, admin, small_cap):
    client.force_login(admin)
    upload = SimpleUploadedFile("clientes.xlsx", far_cell("CV5000"))
    response = client.post(reverse("customers:import"), {"archivo": upload}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "La hoja «Clientes» tiene datos en la celda CV5000" in page
    assert ImportJob.objects.get().status == ImportJob.Status.REFUSED
    assert Customer.objects.count() == 0


def test_formatted_empty_cells_past_the_data_take_no_room(admin, small_cap):
    # Excel writes a formatted cell without a value as <c r="Z5000" s="1"/>: calamine skips it.
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Clientes"
    sheet.append(HEADERS)
    sheet.append(person(first="Rosa"))
    sheet.append([])  # an empty row left at the end
    for reference in ("Z2", "A5000", "CV5000"):
        sheet[reference].font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = preview(admin, buffer.getvalue())
    assert (job.status, job.to_create) == (ImportJob.Status.READY, 1)
