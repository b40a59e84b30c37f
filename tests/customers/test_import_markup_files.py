"""Spreadsheets saved as markup text — a flat OpenDocument spreadsheet (.fods), Excel's «Hoja de
cálculo XML 2003», a web page (HTML) that an ERP names .xls — are refused before any parsing,
saying what the file is and how to save it. Before, they were read as a CSV: their tags came out
as a few rows of garbage errors. A CSV whose first cell starts with «<» is still a CSV."""

import pytest

from customers.models import Customer
from tests.customers.test_import import preview, refused
from tests.factories import valid_ruc
from tests.roles import user_with_role


@pytest.fixture
def admin(db):
    return user_with_role("Administrador")


FODS = """<?xml version="1.0" encoding="UTF-8"?>

<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"
 office:mimetype="application/vnd.oasis.opendocument.{kind}">
 <office:body><office:spreadsheet><table:table table:name="Clientes">
  <table:table-row><table:table-cell office:value-type="string"><text:p>Razón social</text:p></table:table-cell>
  </table:table-row></table:table></office:spreadsheet></office:body></office:document>
"""

SPREADSHEET_ML = """<?xml version="1.0"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel"
 xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet" xmlns:html="http://www.w3.org/TR/REC-html40">
 <Worksheet ss:Name="Clientes"><Table>
  <Row><Cell><Data ss:Type="String">Razón social</Data></Cell><Cell><Data ss:Type="String">RUC</Data></Cell></Row>
  <Row><Cell><Data ss:Type="String">Gloria S.A.</Data></Cell>
   <Cell><Data ss:Type="Number">20100070970</Data></Cell></Row>
 </Table></Worksheet></Workbook>
"""

# As ERPs write their «Excel» export: a page, or a bare table, named .xls.
HTML_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Clientes</title></head><body>
<table border="1"><tr><th>Razón social</th><th>RUC</th></tr>
<tr><td>Gloria S.A.</td><td>20100070970</td></tr></table></body></html>
"""
BARE_TABLE = """<table border=1>
<tr><td>Razón social</td><td>RUC</td></tr><tr><td>Gloria S.A.</td><td>20100070970</td></tr>
</table>"""
EXCEL_WEB_PAGE = """<html xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:x="urn:schemas-microsoft-com:office:excel" xmlns="http://www.w3.org/TR/REC-html40">
<head><meta http-equiv=Content-Type content="text/html; charset=windows-1252"></head>
<body><table><tr><td>Razón social</td></tr></table></body></html>"""
XHTML = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><body><table><tr><td>Razón social</td></tr></table></body></html>"""


@pytest.mark.parametrize("name", ["clientes.fods", "clientes.xlsx", "clientes.csv", "clientes"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_a_flat_ods_is_refused_saying_to_save_it_as_ods_or_xlsx(admin, name, encoding):
    message = refused(admin, FODS.format(kind="spreadsheet").encode(encoding), name)
    assert message.startswith("El archivo es una hoja de cálculo ODF plana (.fods"), message
    assert "«Hoja de cálculo ODF (.ods)»" in message and ".xlsx" in message


def test_a_flat_ods_without_its_xml_declaration(admin):
    content = FODS.format(kind="spreadsheet").split("?>", 1)[1]
    assert refused(admin, content.encode(), "clientes.fods").startswith("El archivo es una hoja de cálculo ODF plana")


def test_a_flat_text_document_is_refused_as_a_document_not_a_spreadsheet(admin):
    message = refused(admin, FODS.format(kind="text").encode(), "carta.fodt")
    assert message.startswith("El archivo es un documento de LibreOffice, pero no una hoja de cálculo."), message


@pytest.mark.parametrize("name", ["clientes.xml", "clientes.xls"])
@pytest.mark.parametrize("declared", [True, False], ids=["with its xml declaration", "without"])
def test_an_excel_2003_xml_spreadsheet_is_refused_saying_to_save_it_as_xlsx(admin, name, declared):
    content = SPREADSHEET_ML if declared else SPREADSHEET_ML.split("?>", 2)[2]
    message = refused(admin, content.encode(), name)
    assert message.startswith("El archivo es una «Hoja de cálculo XML 2003» de Excel"), message
    assert "«Libro de Excel (.xlsx)»" in message


@pytest.mark.parametrize(
    "content", [HTML_PAGE, BARE_TABLE, EXCEL_WEB_PAGE, XHTML], ids=["page", "bare", "excel", "xhtml"]
)
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-16"])
def test_a_web_page_named_xls_is_refused_saying_what_it_is(admin, content, encoding):
    message = refused(admin, ("\r\n  " + content).encode(encoding), "reporte_clientes.xls")
    assert message.startswith("El archivo es una página web (HTML), aunque su nombre termine en .xls:"), message
    assert "«Libro de Excel (.xlsx)»" in message


def test_a_web_page_named_otherwise_is_refused_too(admin):
    assert refused(admin, HTML_PAGE.encode(), "clientes.htm").startswith("El archivo es una página web (HTML):")


def test_excels_single_file_web_page_saved_as_xls(admin):
    content = (
        "MIME-Version: 1.0\r\nX-Document-Type: Workbook\r\n"
        'Content-Type: multipart/related; boundary="----=_NextPart_01D9"\r\n\r\n------=_NextPart_01D9\r\n'
        "Content-Type: text/html\r\n\r\n" + EXCEL_WEB_PAGE
    )
    assert "página web (HTML)" in refused(admin, content.encode(), "clientes.xls")


def test_another_xml_is_not_a_spreadsheet(admin):
    message = refused(admin, b'<?xml version="1.0"?><factura><ruc>20100070970</ruc></factura>', "clientes.xml")
    assert message == "El archivo es un XML, no una hoja de cálculo. Suba un .xlsx, .ods, .xls o .csv."


@pytest.mark.parametrize(
    "first",
    ["<Sin nombre>", "<b>Razón social</b>", "<table> de precios", "<?php echo"],
)
def test_a_csv_whose_first_cell_starts_with_a_tag_like_text_is_still_a_csv(admin, first):
    # Decided by the prolog (and, for a bare table, its rows), never by a first «<» alone.
    lines = [f"{first};Tipo de cliente;Número de documento;Razón social;Giro;Distrito;Dirección"]
    lines.append(f";Empresa;{valid_ruc()};Gloria S.A.;Lácteos;Ate;Av. 1")
    job = preview(admin, "\r\n".join(lines).encode("utf-8"), name="clientes.csv")
    assert job.status == "lista", job.message
    assert (job.to_create, job.error_rows) == (1, 0), job.errors
    assert Customer.objects.count() == 0


def test_the_admin_import_says_it_too(client, admin):
    import html

    from tests.customers.test_import_admin import upload

    client.force_login(admin)
    page = html.unescape(upload(client, HTML_PAGE.encode("cp1252"), name="clientes.xls").content.decode())
    assert "El archivo es una página web (HTML), aunque su nombre termine en .xls" in page
    assert Customer.objects.count() == 0
