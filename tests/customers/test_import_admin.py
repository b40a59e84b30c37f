"""The admin's Importar / Exportar (django-import-export) run the app's own import and export."""

import csv
import io
import os
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from customers.models import Customer, CustomerNote
from tests.customers.test_import import HEADERS, company, person, xlsx
from tests.factories import make_company, valid_ruc
from tests.roles import user_with_role

IMPORT = "/admin/customers/customer/import/"
CONFIRM = "/admin/customers/customer/process_import/"
EXPORT = "/admin/customers/customer/export/"


@pytest.fixture
def admin_client(client, db):
    client.force_login(user_with_role("Administrador"))
    return client


SPREADSHEET = "Hoja de cálculo: .xlsx, .ods, .xls o .csv (se reconoce sola)"
EXCEL, CSV = "Excel (.xlsx)", "CSV (.csv, UTF-8)"


def _format(page: str, label: str) -> str:
    return re.search(rf'<option value="(\d+)"[^>]*>{re.escape(label)}</option>', page)[1]


def _options(page: str) -> list[tuple[str, str]]:
    select = re.search(r'<select name="format".*?</select>', page, re.S)[0]
    return re.findall(r'<option value="([^"]*)"([^>]*)>([^<]*)</option>', select)


def _import_format(page: str) -> str:
    return re.search(r'<input type="hidden" name="format" value="(\d+)"', page)[1]


def upload(admin_client, content: bytes, name="admin.xlsx"):
    page = admin_client.get(IMPORT).content.decode()
    fields = {"format": _import_format(page), "import_file": SimpleUploadedFile(name, content)}
    return admin_client.post(IMPORT, fields)


def confirm(admin_client, response):
    page = response.content.decode()
    fields = dict(re.findall(r'name="(import_file_name|original_file_name|format|resource)" value="([^"]*)"', page))
    assert fields, page[:3000]
    return admin_client.post(CONFIRM, fields)


def test_admin_import_previews_then_writes_through_the_import_service(admin_client):
    response = upload(admin_client, xlsx([company(name="Desde Admin S.A.")]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Desde Admin S.A." not in list(Customer.objects.values_list("name", flat=True))
    fields = dict(re.findall(r'name="(import_file_name|original_file_name|format|resource)" value="([^"]*)"', page))
    response = admin_client.post(CONFIRM, fields)
    assert response.status_code == 302
    created = Customer.objects.get(business_name="Desde Admin S.A.")
    assert created.history.get().history_type == "+"
    assert CustomerNote.objects.get(customer=created).text == "Creado por importación de admin.xlsx."


def test_admin_import_keeps_the_file_in_the_shared_storage_until_confirmed(admin_client, settings, tmp_path):
    # Not in one machine's temporary folder: behind a load balancer the confirm may reach
    # another app server than the preview did. One never confirmed goes a day later.
    settings.MEDIA_ROOT = tmp_path
    kept = tmp_path / "django-import-export"
    response = upload(admin_client, xlsx([company(name="Guardada S.A.")]))
    name = re.search(r'name="import_file_name" value="([^"]*)"', response.content.decode())[1]
    assert [path.name for path in kept.iterdir()] == [name]
    abandoned = kept / "abandonado"
    abandoned.write_bytes(b"preview of yesterday")
    yesterday = time.time() - 25 * 3600
    os.utime(abandoned, (yesterday, yesterday))
    recent = kept / "reciente"
    recent.write_bytes(b"another user's preview, an hour ago")
    hour_ago = time.time() - 3600
    os.utime(recent, (hour_ago, hour_ago))
    second = upload(admin_client, xlsx([company(name="Otra Guardada S.A.")]))
    assert not abandoned.exists() and recent.exists()
    assert confirm(admin_client, second).status_code == 302
    assert confirm(admin_client, response).status_code == 302
    assert sorted(path.name for path in kept.iterdir()) == ["reciente"]
    assert Customer.objects.filter(business_name__in=["Guardada S.A.", "Otra Guardada S.A."]).count() == 2


def test_admin_import_shows_row_errors_and_writes_nothing(admin_client):
    page = upload(admin_client, xlsx([company(), person(dni="12AB")])).content.decode()
    assert "El DNI solo puede tener números." in page
    assert 'name="import_file_name"' not in page
    assert Customer.objects.count() == 0


def test_admin_export_uses_the_apps_columns(admin_client):
    make_company(business_name="Gloria S.A.")
    page = admin_client.get(EXPORT).content.decode()
    response = admin_client.post(
        EXPORT, {"format": _format(page, EXCEL), "resource": "0", "customerresource_todas": "on"}
    )
    assert response.status_code == 200, response.content[:2000]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]][:4] == [
        "Tipo de cliente",
        "Extranjero",
        "Tipo de documento",
        "Número de documento",
    ]
    assert sheet["E2"].value == "Gloria S.A."


def export(admin_client, label: str, query: str = ""):
    page = admin_client.get(EXPORT).content.decode()
    data = {"format": _format(page, label), "resource": "0", "customerresource_todas": "on"}
    return admin_client.post(f"{EXPORT}?{query}" if query else EXPORT, data)


def test_admin_excel_export_is_the_lists_with_amounts_and_dates_as_numbers(admin_client):
    from decimal import Decimal

    from attributes.models import AttributeDefinition
    from credit.models import CreditAccount

    since = AttributeDefinition.objects.create(name="Desde", kind="fecha", position=1)
    gloria = make_company(business_name="Gloria S.A.", attributes={since.key: "2024-03-15"})
    CreditAccount.objects.create(customer=gloria, credit_limit=Decimal("2000.00"))
    response = export(admin_client, EXCEL)
    assert re.fullmatch(r'attachment; filename="clientes-\d{4}-\d{2}-\d{2}\.xlsx"', response["Content-Disposition"])
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = dict(zip([c.value for c in sheet[1]], sheet[2], strict=True))
    assert (cells["Cupo de crédito"].value, cells["Cupo de crédito"].number_format) == (2000, '"S/ "#,##0.00')
    assert cells["Desde"].value.date().isoformat() == "2024-03-15" and cells["Desde"].number_format == "dd/mm/yyyy"
    assert cells["Razón social"].value == "Gloria S.A."


def test_admin_csv_export_is_named_in_spanish_and_says_which_customers_are_in_the_papelera(admin_client):
    from django.utils import timezone

    make_company(business_name="Activa S.A.C.")
    make_company(business_name="Borrada S.A.C.", deleted_at=timezone.now())
    response = export(admin_client, CSV)
    assert re.fullmatch(r'attachment; filename="clientes-\d{4}-\d{2}-\d{2}\.csv"', response["Content-Disposition"])
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    # The admin's changelist lists the Papelera too: its export must not call them «Activo».
    assert {row["Razón social"]: row["Estado"] for row in rows} == {
        "Activa S.A.C.": "Activo",
        "Borrada S.A.C.": "En la Papelera",
    }


@pytest.mark.parametrize(("role", "url"), [("Ventas", IMPORT), ("Créditos", EXPORT)])
def test_admin_import_and_export_need_their_permissions(client, db, role, url):
    client.force_login(user_with_role(role, is_staff=True))
    assert client.get(url).status_code == 403


def test_admin_offers_the_apps_spreadsheet_formats_only_without_a_blank_choice_first(admin_client):
    # The import tells .xlsx, .ods, .xls and .csv by their content: one format, nothing to choose.
    page = admin_client.get(IMPORT).content.decode()
    assert '<select name="format"' not in page
    assert re.search(rf">Formato:</label>\s*{re.escape(SPREADSHEET)}\s*<input", page)
    assert _import_format(page) == "0"
    # The export: Excel or CSV in words, Excel already chosen (no «---» the form would refuse).
    options = _options(admin_client.get(EXPORT).content.decode())
    assert [(value, label) for value, _, label in options] == [("0", EXCEL), ("1", CSV)]
    assert "selected" in options[0][1]


@pytest.mark.parametrize(("name", "content"), [("clientes.csv", None), ("clientes.xlsx", None)])
def test_admin_imports_a_csv_or_an_xlsx_with_its_one_format(admin_client, name, content):
    ruc = company()[2]
    row = company(ruc=ruc, name="Formato Único S.A.C.")
    if name.endswith(".csv"):
        content = (",".join(HEADERS) + "\r\n" + ",".join("" if v is None else str(v) for v in row) + "\r\n").encode()
    else:
        content = xlsx([row])
    assert confirm(admin_client, upload(admin_client, content, name=name)).status_code == 302
    assert Customer.objects.get(document_number=ruc).business_name == "Formato Único S.A.C."


def test_admin_reads_a_windows_1252_csv_with_semicolons_as_the_app_does(admin_client):
    ruc = company()[2]
    text = (
        "Tipo de cliente;Tipo de documento;Número de documento;Razón social;Giro;"
        "Departamento;Provincia;Distrito;Dirección\r\n"
    )
    text += f"Empresa;RUC;{ruc};Cañería Ñuñoa S.A.C.;Gasfitería;Áncash;Huaraz;Huaraz;Jr. Sucre 12\r\n"
    response = upload(admin_client, text.encode("cp1252"), name="clientes.csv")
    assert response.status_code == 200
    assert "UnicodeDecodeError" not in response.content.decode()
    assert confirm(admin_client, response).status_code == 302
    assert Customer.objects.get(document_number=ruc).business_name == "Cañería Ñuñoa S.A.C."


def test_admin_imports_the_contactos_sheet_and_shows_its_errors(admin_client):
    ruc = company()[2]
    workbook = load_workbook(io.BytesIO(xlsx([company(ruc=ruc, name="Con Contactos S.A.C.")])))
    contacts = workbook.create_sheet("Contactos")
    contacts.append(["Tipo de documento", "Número de documento", "Nombre"])
    contacts.append(["RUC", ruc, "Ana Torres"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert confirm(admin_client, upload(admin_client, buffer.getvalue())).status_code == 302
    assert Customer.objects.get(document_number=ruc).contacts.get().name == "Ana Torres"

    contacts.append(["RUC", "20100070971", "Luis Rojas"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    page = upload(admin_client, buffer.getvalue()).content.decode()
    assert "Hoja Contactos, fila 3, Número de documento" in page
    assert 'name="import_file_name"' not in page


def test_admin_import_refuses_a_file_over_the_size_limit_before_reading_it(admin_client, settings):
    settings.IMPORT_MAX_BYTES = 100
    # Refused while it arrived (customers.uploads): the import page again, the message above it.
    response = upload(admin_client, xlsx([company()]))
    assert response.status_code == 302
    page = admin_client.get(response.url).content.decode()
    assert "el máximo es" in page
    assert Customer.objects.count() == 0


def test_admin_csv_export_has_a_bom_for_excel(admin_client):
    make_company(business_name="Señor de Sipán S.A.C.")
    page = admin_client.get(EXPORT).content.decode()
    response = admin_client.post(
        EXPORT, {"format": _format(page, CSV), "resource": "0", "customerresource_todas": "on"}
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert "Señor de Sipán S.A.C." in response.content.decode("utf-8-sig")


def test_admin_import_and_export_pages_speak_spanish(admin_client):
    page = admin_client.get(EXPORT).content.decode()
    assert "Se exportarán estas columnas" in page and "Seleccionar todo" in page
    assert "This exporter" not in page and "Select all" not in page
    response = confirm(admin_client, upload(admin_client, xlsx([company(name="En Castellano S.A.C.")])))
    page = admin_client.get(response.url).content.decode()
    assert "Importación terminada: 1 cliente creado, 0 actualizados y 0 sin cambios." in page
    assert "Import finished" not in page and "nuevos" not in page


def test_admin_import_shows_the_preview_s_warnings_and_still_confirms(admin_client):
    headers = [*HEADERS, "Código interno"]
    content = xlsx([[*company(name="Con Aviso S.A.C."), "X-17"]], headers=headers)
    page = upload(admin_client, content).content.decode()
    warning = re.search(r'<li class="warning">([^<]*)</li>', page)
    assert warning is not None, page[:3000]
    assert warning[1] == "Se ignoró la columna «Código interno»: no es un dato de clientes."
    assert 'name="import_file_name"' in page  # a warning blocks nothing
    assert confirm(admin_client, upload(admin_client, content)).status_code == 302
    assert Customer.objects.filter(business_name="Con Aviso S.A.C.").exists()


def test_admin_import_of_a_file_without_titles_says_so_and_reads_row_1(admin_client):
    from tests.customers.test_import_untitled import WARNING, untitled_rows
    from tests.customers.test_import_untitled import xlsx as untitled_xlsx

    page = upload(admin_client, untitled_xlsx(untitled_rows(2))).content.decode()
    assert f'<li class="warning">{WARNING}</li>' in page
    # The admin cannot ask what each column is: without the razón social every row is an error,
    # row 1 among them (not lost as titles).
    assert "Ingrese la razón social." in page
    assert re.search(r"<td>\s*1\s*</td>", page), page[:3000]
    assert 'name="import_file_name"' not in page
    assert not Customer.objects.exists()


def test_admin_import_names_the_column_of_an_error_the_file_has_no_column_for(admin_client):
    # The admin's table has the file's columns only: «Ingrese el giro de la empresa.» under «no
    # específico del campo» did not say which column the row needs.
    headers = [h for h in HEADERS if h != "Giro"]
    row = company(name="Sin Giro S.A.C.")
    del row[HEADERS.index("Giro")]
    page = upload(admin_client, xlsx([row], headers=headers)).content.decode()
    assert "Giro: Ingrese el giro de la empresa." in page
    assert not Customer.objects.exists()


def test_admin_import_says_which_remembered_value_for_every_row_it_read_the_file_with(admin_client):
    from customers import importing
    from customers.models import ImportJob

    # The app's mapping step gave these titles a giro for every row; the admin has no such step.
    headers = [h for h in HEADERS if h != "Giro"]
    row = company(name="Giro Recordado S.A.C.")
    del row[HEADERS.index("Giro")]
    content = xlsx([row], headers=headers)
    owner = user_with_role("Administrador")
    job = importing.start_import(actor=owner, upload=SimpleUploadedFile("antes.xlsx", content))
    job = importing.preview_import(job.pk)
    mapping = {c["header"]: c["key"] for c in job.columns}
    importing.choose_columns(actor=owner, job=job, mapping=mapping, constants={"business_line": "Comercio"})
    ImportJob.objects.all().delete()

    page = upload(admin_client, content).content.decode()
    warnings = re.findall(r'<li class="warning">([^<]*)</li>', page)
    assert (
        "Giro: «Comercio» en las filas sin ese dato, el valor para todas las filas elegido la vez anterior para un "
        "archivo con estos títulos (se cambia en Importar de la aplicación)."
    ) in warnings, page[:3000]
    assert confirm(admin_client, upload(admin_client, content)).status_code == 302
    assert Customer.objects.get(business_name="Giro Recordado S.A.C.").business_line == "Comercio"


def test_admin_import_shows_an_error_under_the_file_s_own_title_of_its_column(admin_client):
    # «Línea de crédito» read as the Cupo de crédito: its error goes in that column of the table.
    headers = [*HEADERS, "Línea de crédito"]
    page = upload(admin_client, xlsx([[*company(), "mil soles"]], headers=headers)).content.decode()
    message = "El cupo de crédito no es un número válido"
    assert message in page
    assert f"Cupo de crédito: {message}" not in page  # not among the row's errors of no column
    assert not Customer.objects.exists()


def test_admin_preview_shows_what_each_row_creates(admin_client):
    page = upload(admin_client, xlsx([company(name="Ferretería El Clavo S.A.C.")])).content.decode()
    assert 'name="import_file_name"' in page
    preview = page[page.index('class="import-preview"') :]
    # The row's own values under the file's titles, not «Nuevo» beside empty cells.
    assert "Ferretería El Clavo S.A.C." in preview and "Miraflores" in preview


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "vacio.csv", "El archivo está vacío."),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "programa.xlsx", "El archivo no es una hoja de cálculo."),
    ],
)
def test_admin_import_refuses_a_bad_file_in_one_spanish_sentence(admin_client, content, name, message):
    page = upload(admin_client, content, name=name).content.decode()
    assert message in page
    assert "fichero" not in page.lower()
    assert "ValueError" not in page and "Traceback" not in page
    assert 'name="import_file_name"' not in page


def test_admin_import_of_the_untouched_template_offers_nothing_to_confirm(admin_client):
    from customers.importing import template_xlsx

    response = upload(admin_client, template_xlsx())
    page = response.content.decode()
    assert "Se omitieron las" in page  # the example rows, skipped
    assert "El archivo no tiene clientes que importar" in page
    assert 'name="import_file_name"' not in page  # no «Confirmar importación» that imports nothing
    assert Customer.objects.count() == 0


def test_admin_preview_speaks_as_the_app_does(admin_client):
    # «usted», as every page of the app, not the catalogue's «Si estás satisfecho… haz clic»; a
    # row that changes nothing is «Sin cambios», as the app's preview counts it.
    ruc = valid_ruc()
    content = xlsx([company(ruc=ruc, name="Ya Registrada S.A.C.")])
    confirm(admin_client, upload(admin_client, content))
    page = upload(admin_client, content).content.decode()
    assert "Si está conforme, haga clic en «Confirmar importación»." in page
    assert "estás" not in page and "haz clic" not in page
    assert "Sin cambios" in page and "Omitido" not in page


@pytest.mark.parametrize("label", [EXCEL, CSV])
def test_the_admin_export_leaves_out_the_credit_columns_for_who_may_not_see_them(client, db, label):
    from django.contrib.auth.models import Permission

    # Staff in a group of its own: customers seen and exported, credit not.
    user = user_with_role("Consulta", is_staff=True)
    user.groups.clear()
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="customers", codename__in=["view_customer", "export_customer"]
        )
    )
    client.force_login(user)
    make_company(business_name="Gloria S.A.")
    response = export(client, label)
    assert response.status_code == 200
    if label == EXCEL:
        headers = [c.value for c in load_workbook(io.BytesIO(response.content)).active[1]]
    else:
        headers = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert "Razón social" in headers and "Cupo de crédito" not in headers
