"""Importar in a real browser: download the template, fill it, upload it, watch the worker's
progress, read the preview, confirm, see the result and the customers in the list."""

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from customers import importing
from customers.models import Category, Customer, ImportJob
from tests.browser.conftest import sign_in
from tests.factories import valid_ruc

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/clientes-{}.png"  # noqa: S108  (where CI and people look for them)


def test_template_upload_progress_preview_confirm(page, reference_data, settings, tmp_path):
    settings.IMPORT_INLINE_MAX_BYTES = 10  # every file goes to the worker, as large ones do
    for name in ("PRO", "NORMAL"):  # the categorías the template's examples name, which
        Category.objects.get_or_create(name=name)  # earlier transactional tests flushed
    page = sign_in(page, "Administrador", username="admin-importa")
    page.get_by_role("link", name="Importar", exact=True).click()
    expect(page.get_by_role("heading", name="Importar clientes desde Excel")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar plantilla (.xlsx)").click()
    template = tmp_path / "plantilla.xlsx"
    download.value.save_as(template)
    workbook = load_workbook(template)
    # A person types below the example rows and forgets to delete them (every sheet's).
    ruc = valid_ruc()
    typed = {
        "Clientes": [
            {
                "Tipo de cliente": "Empresa",
                "Tipo de documento": "RUC",
                "Número de documento": ruc,
                "Razón social": "Lácteos del Sur S.A.C.",
                "Giro": "Lácteos",
                "Departamento": "Lima",
                "Provincia": "Lima",
                "Distrito": "Miraflores",
                "Dirección": "Av. Larco 400",
                "Categoría": "PRO",
            },
            # The DNI typed without its leading zero.
            {
                "Tipo de cliente": "Persona natural",
                "Tipo de documento": "DNI",
                "Número de documento": "7654320",
                "Nombres": "Rosa",
                "Apellidos": "Quispe Ccori",
            },
            # A row with an error.
            {
                "Tipo de cliente": "Persona natural",
                "Tipo de documento": "DNI",
                "Número de documento": "abc",
                "Nombres": "Juan",
                "Apellidos": "Pérez",
            },
        ],
        "Direcciones": [
            {
                "Tipo de documento": "RUC",
                "Número de documento": ruc,
                "Tipo de dirección": "Entrega",
                "Departamento": "Lima",
                "Provincia": "Lima",
                "Distrito": "Ate",
                "Dirección": "Av. Nicolás Ayllón 3000",
            },
        ],
        "Contactos": [
            {"Tipo de documento": "RUC", "Número de documento": ruc, "Nombre": "Ana Torres", "Teléfonos": "987 111 333"}
        ],
    }
    for title, rows in typed.items():
        sheet = workbook[title]
        headers = [cell.value for cell in sheet[1]]
        first = 4  # right below the examples (two in each sheet)
        for number, values in enumerate(rows, start=first):
            for column, header in enumerate(headers, start=1):
                sheet.cell(row=number, column=column, value=values.get(header))
    filled = tmp_path / "clientes.xlsx"
    workbook.save(filled)

    page.get_by_label("Archivo .xlsx, .ods, .xls o .csv").set_input_files(str(filled))
    page.get_by_role("button", name="Revisar archivo").click()
    expect(page.locator("#import-status")).to_have_text("En cola para revisar")
    expect(page.get_by_text("Puede salir de esta página y volver")).to_be_visible()

    importing.preview_import(ImportJob.objects.get().pk)  # the worker's turn
    expect(page.locator("#import-status")).to_have_text("Vista previa lista")  # htmx polled it
    counts = page.locator("#import-counts")
    expect(counts).to_contain_text("2")
    expect(page.locator("#import-warnings")).to_contain_text("Se omitieron las 6 filas de ejemplo de la plantilla.")
    page.screenshot(path=SCREENSHOTS.format("importar-ejemplos-omitidos"), full_page=True)
    expect(page.locator("#import-errors")).to_contain_text("El DNI solo puede tener números.")
    expect(page.get_by_label("Todo o nada (no disponible: corrija primero las filas con errores)")).to_be_disabled()

    page.get_by_label("Solo las filas válidas; descargar las rechazadas para corregirlas").check()
    page.get_by_role("button", name="Importar").click()
    expect(page.locator("#import-status")).to_have_text("En cola para importar")
    importing.run_import(ImportJob.objects.get().pk)
    expect(page.locator("#import-status")).to_have_text("Terminada")
    expect(page.get_by_role("link", name="Descargar filas con errores (.xlsx)")).to_be_visible()
    # The examples («Gloria S.A.», «Quispe Mamani, Rosa Elena») were not imported.
    assert set(Customer.objects.values_list("name", flat=True)) == {"Lácteos del Sur S.A.C.", "Quispe Ccori, Rosa"}
    assert Customer.objects.get(first_names="Rosa").document_number == "07654320"
    # The Direcciones and Contactos rows typed for the company came in with it.
    company = Customer.objects.get(name="Lácteos del Sur S.A.C.")
    assert company.category.name == "PRO"
    assert company.contacts.get().name == "Ana Torres"
    assert company.addresses.filter(kind="entrega", district__name="Ate").exists()

    page.get_by_role("link", name="Ver clientes").click()
    expect(page.get_by_role("link", name="Lácteos del Sur S.A.C.").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Más opciones", exact=True).click()
        page.get_by_role("link", name="Descargar CSV").click()
    assert re.fullmatch(r"clientes-\d{4}-\d{2}-\d{2}\.csv", download.value.suggested_filename)
    assert download.value.path().read_bytes()[:3] == b"\xef\xbb\xbf"


def test_a_downloaded_excel_uploaded_again_changes_nothing(page, reference_data, tmp_path):
    # The round trip an office does: Descargar Excel of a filtered list, fix nothing, Importar:
    # every row "sin cambios" — negative numbers and decimals included (they came back as
    # errors, escaped as formulas, and "1500.50" against the page's "1500.5").
    from attributes.models import AttributeDefinition
    from tests.factories import make_company, make_person

    debt = AttributeDefinition.objects.create(name="Deuda", kind="entero", position=1)
    weight = AttributeDefinition.objects.create(name="Peso", kind="decimal", position=2)
    make_company(business_name="Quispe Hermanos S.A.C.", attributes={debt.key: -5, weight.key: -2.5})
    make_person(first_names="Rosa", last_names="Quispe", attributes={weight.key: 1500.5})
    make_company(business_name="Otra Empresa S.A.C.")
    page = sign_in(page, "Administrador", username="admin-ida-vuelta")
    page.get_by_role("searchbox", name="Buscar clientes").press_sequentially("quispe")
    expect(page.get_by_text("2 clientes activos")).to_be_visible()
    # The click on Más opciones takes the focus from the search box: its menu must stay open
    # (the box's "change" asked for the same list again and the redrawn results closed it).
    with page.expect_download() as download:
        page.get_by_role("button", name="Más opciones", exact=True).click()
        page.get_by_role("link", name="Descargar Excel").click()
    exported = tmp_path / download.value.suggested_filename
    download.value.save_as(exported)
    sheet = load_workbook(exported).active
    headers = [cell.value for cell in sheet[1]]
    # Numbers in the Excel file (they add up there), read back as the same values.
    assert sorted(row[headers.index("Peso")] for row in sheet.iter_rows(min_row=2, values_only=True)) == [-2.5, 1500.5]

    page.get_by_role("link", name="Importar", exact=True).click()
    page.get_by_label("Archivo .xlsx, .ods, .xls o .csv").set_input_files(str(exported))
    page.get_by_role("button", name="Revisar archivo").click()
    expect(page.locator("#import-status")).to_have_text("Vista previa lista")
    counts = page.locator("#import-counts")
    expect(counts).to_contain_text("sin cambios")
    assert ImportJob.objects.get().unchanged == 2
    assert (ImportJob.objects.get().to_create, ImportJob.objects.get().error_rows) == (0, 0)
    expect(page.locator("#import-errors")).to_have_count(0)


def test_the_progress_says_when_the_server_does_not_answer(page, reference_data, settings, tmp_path):
    # A poll that fails (the office's network, the server restarting) left the last progress on
    # the page as if it were now, under «la importación sigue».
    from tests.customers.test_import import company, xlsx

    settings.IMPORT_INLINE_MAX_BYTES = 10  # to the worker: the page polls
    page = sign_in(page, "Administrador", username="admin-sin-red")
    page.get_by_role("link", name="Importar", exact=True).click()
    upload = tmp_path / "clientes.xlsx"
    upload.write_bytes(xlsx([company()]))
    page.get_by_label("Archivo .xlsx, .ods, .xls o .csv").set_input_files(str(upload))
    page.get_by_role("button", name="Revisar archivo").click()
    expect(page.locator("#import-status")).to_have_text("En cola para revisar")
    offline = page.locator("#import-offline")
    expect(offline).to_be_hidden()

    job = ImportJob.objects.get()
    poll = f"**/clientes/importar/{job.pk}/"
    page.route(poll, lambda route: route.abort())
    expect(offline).to_be_visible()
    expect(offline).to_contain_text("No hay conexión con el servidor")

    page.unroute(poll)
    importing.preview_import(job.pk)
    expect(page.locator("#import-status")).to_have_text("Vista previa lista")
    expect(offline).to_be_hidden()
