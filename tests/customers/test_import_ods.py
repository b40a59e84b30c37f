"""LibreOffice's own format (.ods, what Calc saves by default): read as an .xlsx is — the
Clientes, Direcciones and Contactos sheets by name, documents typed as numbers, dates — and
refused as safely: told by its bytes, zip bombs, a password, a cell repeated a million times."""

import io
import zipfile
from datetime import date
from xml.sax.saxutils import escape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from attributes.models import AttributeDefinition
from customers import importing, spreadsheets
from customers.models import Customer
from tests.customers import test_import
from tests.customers.test_import import HEADERS, company, person, run
from tests.customers.test_import_sheets import ADDRESS_HEADERS, CONTACT_HEADERS
from tests.factories import valid_ruc
from tests.roles import user_with_role

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _cell(value) -> str:
    # As LibreOffice Calc writes them: the type and value as attributes, the shown text in text:p.
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, (int, float)):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}" calcext:value-type="float">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    if isinstance(value, date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}" '
            f'calcext:value-type="date"><text:p>{value:%d/%m/%Y}</text:p></table:table-cell>'
        )
    return (
        '<table:table-cell office:value-type="string" calcext:value-type="string">'
        f"<text:p>{escape(str(value))}</text:p></table:table-cell>"
    )


def _table(name: str, rows) -> str:
    body = "".join("<table:table-row>" + "".join(_cell(v) for v in row) + "</table:table-row>" for row in rows)
    # Calc writes the rest of the sheet, down to its last row, as one repeated empty row.
    tail = (
        '<table:table-row table:number-rows-repeated="1048570">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    )
    return f'<table:table table:name="{escape(name)}">{body}{tail}</table:table>'


def _package(tables_xml: str, *, manifest_entries: str = "", mimetype=spreadsheets.ODS_MIMETYPE) -> bytes:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<office:document-content xmlns:office="{OFFICE}" xmlns:table="{TABLE}" xmlns:text="{TEXT}" '
        'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" office:version="1.3">'
        f"<office:body><office:spreadsheet>{tables_xml}</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
        + (manifest_entries or '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>')
        + "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # The first part, stored: its type, as ODF requires.
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return buffer.getvalue()


def _rewritten(content: bytes, part: str, change) -> bytes:
    """The package with one part's bytes changed (stored, as given)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            data = source.read(item)
            archive.writestr(item, change(data) if item.filename == part else data)
    return buffer.getvalue()


def ods(sheets: dict) -> bytes:
    """An .ods with one sheet per (name → rows, the first row its titles)."""
    return _package("".join(_table(name, rows) for name, rows in sheets.items()))


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


def preview(actor, content: bytes, name="clientes.ods"):
    return test_import.preview(actor, content, name)


def refused(actor, content: bytes, name="clientes.ods") -> str:
    """The upload's refusal, or the preview's (the row cap is counted while the rows are read)."""
    return test_import.refused(actor, content, name)


def test_an_ods_with_documents_typed_as_numbers_and_a_date_imports_as_an_xlsx_would(admin):
    since = AttributeDefinition.objects.create(name="Cliente desde", kind="fecha", position=1)
    ruc = valid_ruc()
    rows = [
        [*HEADERS, "Cliente desde"],
        [*company(ruc=int(ruc)), date(2024, 3, 15)],  # Calc keeps a typed RUC as a number
        [*person(dni=7654321, first="Rosa"), "01/02/2020"],  # a DNI that lost its leading zero
    ]
    job = preview(admin, ods({"Clientes": rows}))
    assert (job.status, job.to_create, job.error_rows) == ("lista", 2, 0), (job.errors, job.message)
    job = run(admin, job)
    assert job.created == 2, job.message
    company_row = Customer.objects.get(document_number=ruc)
    assert company_row.attributes == {since.key: "2024-03-15"}
    rosa = Customer.objects.get(first_names="Rosa")
    assert (rosa.document_type_id, rosa.document_number) == ("1", "07654321")
    assert rosa.attributes == {since.key: "2020-02-01"}


def test_the_direcciones_and_contactos_sheets_of_an_ods_are_found_by_name(admin):
    ruc = valid_ruc()
    content = ods(
        {
            "Contactos": [CONTACT_HEADERS, ["RUC", int(ruc), "Ana Torres", "Compras", "987 111 222", "ana@gl.pe"]],
            "Clientes": [HEADERS, company(ruc=ruc)],
            "Direcciones": [ADDRESS_HEADERS, ["RUC", ruc, "Entrega", "Lima", "Lima", "Ate", "Av. Nicolás Ayllón 2890"]],
        }
    )
    job = preview(admin, content)
    assert (job.to_create, job.error_rows) == (1, 0), job.errors
    assert job.sheets["Direcciones"]["add"] == 1 and job.sheets["Contactos"]["add"] == 1
    run(admin, job)
    customer = Customer.objects.get(document_number=ruc)
    assert customer.addresses.filter(kind="entrega", district_id="150103").exists()
    assert customer.contacts.get().name == "Ana Torres"


def test_an_ods_is_told_by_its_bytes_whatever_its_name_says(admin, tmp_path):
    content = ods({"Clientes": [HEADERS, person(first="Rosa")]})
    path = tmp_path / "clientes.xlsx"
    path.write_bytes(content)
    assert spreadsheets.detect_kind(str(path), "clientes.xlsx") == spreadsheets.ODS
    job = preview(admin, content, name="clientes.xlsx")  # saved under the wrong extension
    assert (job.status, job.to_create) == ("lista", 1), job.message


def test_rows_of_an_ods_are_numbered_as_calc_shows_them(admin):
    rows = [HEADERS, person(first="Rosa"), [None] * 3, person(first="Luis", last="")]
    job = preview(admin, ods({"Clientes": rows}))
    assert [error[:2] for error in job.errors] == [[4, "Apellidos"]]


def test_the_row_cap_applies_to_an_ods(admin, settings):
    settings.IMPORT_MAX_ROWS = 3
    content = ods({"Clientes": [HEADERS, *[person(first=f"P{i}") for i in range(5)]]})
    assert "más de 3 filas" in refused(admin, content)


def test_an_ods_zip_bomb_is_refused_before_inflating(admin):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), spreadsheets.ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", b"0" * 50_000_000)
    assert "bomba zip" in refused(admin, buffer.getvalue())


def test_an_ods_with_a_doctype_is_refused(admin):
    doctype = b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
    content = _rewritten(ods({"Clientes": [HEADERS]}), "content.xml", lambda data: data.replace(b"?>", doctype, 1))
    assert "DOCTYPE" in refused(admin, content)


def test_a_password_protected_ods_is_refused_saying_how_to_save_it_without_one(admin):
    # As Calc saves it: the parts listed with their encryption in the manifest, the content
    # itself unreadable bytes (stored, as Calc stores encrypted parts).
    entry = (
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" manifest:size="3000">'
        "<manifest:encryption-data "
        'manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k" '
        'manifest:checksum="AAAA"><manifest:algorithm '
        'manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" '
        'manifest:initialisation-vector="AAAA"/><manifest:key-derivation manifest:key-derivation-name="PBKDF2" '
        'manifest:key-size="32" manifest:iteration-count="100000" manifest:salt="AAAA"/></manifest:encryption-data>'
        "</manifest:file-entry>"
    )
    content = _rewritten(_package("", manifest_entries=entry), "content.xml", lambda _: bytes(range(256)) * 12)
    message = refused(admin, content, name="secreto.ods")
    assert message.startswith("La hoja de cálculo está protegida con contraseña.")
    assert "Guardar con contraseña" in message


def test_a_cell_repeated_past_the_cells_an_import_may_hold_is_refused(admin, settings):
    # One cell that says it repeats: a few hundred bytes that calamine would build as 100,000.
    settings.IMPORT_MAX_ROWS = 100
    row = (
        '<table:table-row table:number-rows-repeated="1000"><table:table-cell table:number-columns-repeated="100" '
        'office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>'
    )
    content = _package(f'<table:table table:name="Clientes">{row}</table:table>')
    assert len(content) < 1000
    assert "demasiadas celdas" in refused(admin, content)


def test_a_repeated_cell_that_would_exhaust_memory_ends_only_the_probe(admin, monkeypatch):
    # Ten million cells from 700 bytes: calamine's allocation fails and aborts the process that
    # opens the file — the probe's, with its memory bounded, never the page's.
    monkeypatch.setattr(spreadsheets, "PROBE_MEMORY", 300 << 20)
    row = (
        '<table:table-row table:number-rows-repeated="100000"><table:table-cell table:number-columns-repeated="100" '
        'office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>'
    )
    content = _package(f'<table:table table:name="Clientes">{row}</table:table>')
    assert "demasiadas celdas" in refused(admin, content)


def test_a_libreoffice_text_document_is_not_taken_for_a_spreadsheet(admin):
    content = _package("", mimetype="application/vnd.oasis.opendocument.text")
    message = refused(admin, content, name="carta.odt")
    assert message == (
        "El archivo es un documento de LibreOffice, pero no una hoja de cálculo. Suba un .xlsx, .ods, .xls o .csv."
    )


def test_a_broken_ods_is_refused_as_damaged(admin):
    content = _rewritten(ods({"Clientes": [HEADERS, person()]}), "content.xml", lambda data: data[: len(data) // 2])
    assert "dañado" in refused(admin, content)


def test_the_page_the_template_and_the_admin_offer_ods(client, admin):
    client.force_login(admin)
    page = client.get(reverse("customers:import")).content.decode()
    assert 'accept=".xlsx,.ods,.xls,.csv"' in page
    assert "Archivo .xlsx, .ods, .xls o .csv" in page
    instructions = load_workbook(io.BytesIO(importing.template_xlsx()))["Instrucciones"]
    lines = [cell.value for row in instructions.iter_rows() for cell in row if cell.value]
    assert any(str(line).startswith("Puede subir .xlsx, .ods, .xls o .csv") for line in lines)
    admin_page = client.get("/admin/customers/customer/import/").content.decode()
    assert "Archivo a importar (.xlsx, .ods, .xls o .csv)" in admin_page
    assert 'accept=".xlsx,.ods,.xls,.csv"' in admin_page


def test_a_file_chosen_and_refused_on_the_page_names_the_formats(client, admin):
    client.force_login(admin)
    response = client.post(reverse("customers:import"), {"archivo": SimpleUploadedFile("x.pdf", b"%PDF-1.4 ...")})
    assert response.status_code == 400
    assert "El archivo no es una hoja de cálculo. Suba un .xlsx, .ods, .xls o .csv." in response.content.decode()
