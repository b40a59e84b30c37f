"""Importar's steps that need a browser: a column changed in the mapping step holds Importar until
it is applied, a list from another system imports after one choice, and a file over the size
limit is refused before it is sent."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from tests.browser.conftest import sign_in
from tests.customers.test_import import xlsx
from tests.customers.test_import_other_systems import HAND_MADE, hand_made_rows
from tests.factories import valid_dni, valid_ruc

pytestmark = pytest.mark.browser
SCREENSHOTS = "/tmp/clientes-{}.png"  # noqa: S108  (where CI and people look for them)

FOREIGN_HEADERS = [
    "Nro. RUC",
    "Razón social del cliente",
    "Giro",
    "Departamento",
    "Provincia",
    "Distrito",
    "Dirección",
    "Zona",
]


def upload_as(page, username: str, path):
    """Signed in as an Administrador, ``path`` uploaded through Importar: its job's page."""
    page = sign_in(page, "Administrador", username=username)
    page.goto("/clientes/importar/")
    page.get_by_label("Archivo .xlsx, .ods, .xls o .csv").set_input_files(str(path))
    page.get_by_role("button", name="Revisar archivo").click()
    return page


def apply_columns_and_import(page):
    """Apply the columns chosen, then import all or nothing and wait for the end."""
    page.get_by_role("button", name="Aplicar columnas y revisar de nuevo").click()
    expect(page.get_by_text("Columnas aplicadas: la vista previa ya las usa.")).to_be_visible()
    page.get_by_label("Todo o nada").check()
    page.get_by_role("button", name="Importar", exact=True).click()
    expect(page.locator("#import-status")).to_have_text("Terminada")


def test_a_changed_column_holds_importar_until_it_is_applied(page, reference_data, tmp_path):
    row = [valid_ruc(), "Inversiones Quispe S.A.C.", "Ferretería", "Lima", "Lima", "Miraflores", "Av. Larco 1", "Norte"]
    path = tmp_path / "otro-sistema.xlsx"
    path.write_bytes(xlsx([row], headers=FOREIGN_HEADERS))
    page = upload_as(page, "admin-columnas", path)

    importar = page.get_by_role("button", name="Importar", exact=True)
    expect(importar).to_be_enabled()
    expect(page.locator("#import-columns")).to_have_attribute("open", "")  # guessed columns: look at them
    hint = page.get_by_text("Cambió columnas: aplíquelas para revisar el archivo de nuevo antes de importar.")
    expect(hint).to_be_hidden()
    page.screenshot(path=SCREENSHOTS.format("importar-columnas-sugeridas"), full_page=True)

    page.get_by_label("«Zona»").select_option(label="Indicaciones")
    expect(hint).to_be_visible()
    expect(importar).to_be_disabled()

    page.get_by_role("button", name="Aplicar columnas y revisar de nuevo").click()
    expect(page.get_by_text("Columnas aplicadas: la vista previa ya las usa.")).to_be_visible()
    expect(page.get_by_label("«Zona»")).to_have_value("reference")
    expect(page.get_by_role("button", name="Importar", exact=True)).to_be_enabled()
    expect(hint).to_be_hidden()


def test_an_old_hand_made_list_imports_after_one_choice(page, reference_data, tmp_path):
    ruc, dni = valid_ruc(), valid_dni()
    rows = hand_made_rows(ruc, dni)
    rows[0][HAND_MADE.index("Contacto")] = "Abarrotes"  # this list kept the giro there
    path = tmp_path / "CLIENTES 2015.xlsx"
    path.write_bytes(xlsx(rows, headers=HAND_MADE))
    page = upload_as(page, "admin-lista-antigua", path)

    # Pre-filled by title: the whole name, the RUC and the DNI columns; the rest ignored. A file
    # from another system: the columns are open to look at.
    expect(page.locator("#import-columns")).to_have_attribute("open", "")
    expect(page.get_by_label("«Cliente»")).to_have_value("full_name")
    expect(page.get_by_label("«R.U.C.»")).to_have_value("document_number")
    expect(page.get_by_label("«D.N.I.»")).to_have_value("other_document")
    expect(page.get_by_label("«Contacto»")).to_have_value("")
    expect(page.get_by_text("La columna «Cliente» es el nombre completo o la razón social")).to_be_visible()
    expect(page.locator("#import-errors")).to_contain_text("Ingrese el giro de la empresa.")

    page.get_by_label("«Contacto»").select_option(label="Giro")
    apply_columns_and_import(page)
    maria = Customer.objects.get(document_number=dni)
    assert (maria.first_names, maria.last_names) == ("María", "de la Cruz Pérez")
    assert Customer.objects.get(document_number=ruc).business_line == "Abarrotes"


def test_a_file_over_the_limit_is_refused_before_it_is_sent(page, settings):
    settings.IMPORT_MAX_BYTES = 1_048_576
    page = sign_in(page, "Administrador", username="admin-grande")
    page.goto("/clientes/importar/")
    upload = page.get_by_label("Archivo .xlsx, .ods, .xls o .csv")
    send = page.get_by_role("button", name="Revisar archivo")

    upload.set_input_files({"name": "grande.xlsx", "mimeType": "application/octet-stream", "buffer": b"0" * 1_100_000})
    expect(page.get_by_text("El archivo pesa 1.1 MB; el máximo es 1 MB. Divídalo en varios archivos.")).to_be_visible()
    expect(send).to_be_disabled()

    upload.set_input_files({"name": "chico.csv", "mimeType": "text/csv", "buffer": b"Nombres;Apellidos\n"})
    expect(page.get_by_text("El archivo pesa")).to_be_hidden()
    expect(send).to_be_enabled()


def test_a_file_whose_columns_nobody_recognizes_goes_to_the_mapping_step(page, reference_data, tmp_path):
    # An old list: titles of its own, names under them. Once it was refused; now the page asks
    # what each column is, offers nothing to import until then, and previews with the answer.
    rows = [["Rosa Elena", "Quispe Mamani", "Cliente antiguo"], ["Juan Carlos", "Pérez Soto", "Referido"]]
    path = tmp_path / "lista-antigua.xlsx"
    path.write_bytes(xlsx(rows, headers=["Col A", "Col B", "Observación interna"]))
    page = upload_as(page, "admin-mapeo", path)

    expect(page.locator("#import-status")).to_have_text("Columnas por elegir")
    expect(page.locator("#import-columns-needed")).to_contain_text("No se reconoció ninguna columna de clientes")
    expect(page.get_by_text("Archivo rechazado")).to_have_count(0)
    expect(page.get_by_role("button", name="Importar", exact=True)).to_have_count(0)
    expect(page.locator("#import-columns")).to_have_attribute("open", "")
    expect(page.get_by_text("Ej.: Rosa Elena · Juan Carlos")).to_be_visible()
    page.screenshot(path=SCREENSHOTS.format("importar-1-columnas-por-elegir"), full_page=True)

    # Nothing that names a customer chosen: said, and the job still waits.
    page.get_by_role("button", name="Aplicar columnas y revisar de nuevo").click()
    expect(page.get_by_text("Elija al menos la columna del número de documento")).to_be_visible()
    expect(page.locator("#import-status")).to_have_text("Columnas por elegir")

    page.get_by_label("«Col A»").select_option(label="Nombres")
    page.get_by_label("«Col B»").select_option(label="Apellidos")
    page.get_by_role("button", name="Aplicar columnas y revisar de nuevo").click()
    expect(page.get_by_text("Columnas aplicadas: la vista previa ya las usa.")).to_be_visible()
    expect(page.locator("#import-status")).to_have_text("Vista previa lista")
    expect(page.locator("#import-next")).to_contain_text("Al importar se crearán 2 clientes.")
    page.screenshot(path=SCREENSHOTS.format("importar-2-vista-previa"), full_page=True)

    page.get_by_role("button", name="Importar", exact=True).click()
    expect(page.locator("#import-status")).to_have_text("Terminada")
    assert set(Customer.objects.values_list("name", flat=True)) == {
        "Quispe Mamani, Rosa Elena",
        "Pérez Soto, Juan Carlos",
    }

    # The next file with the same titles is read as chosen: no mapping step.
    page.goto("/clientes/importar/")
    page.get_by_label("Archivo .xlsx, .ods, .xls o .csv").set_input_files(str(path))
    page.get_by_role("button", name="Revisar archivo").click()
    expect(page.locator("#import-status")).to_have_text("Vista previa lista")
    page.goto("/clientes/importar/")
    page.screenshot(path=SCREENSHOTS.format("importar-3-historial"), full_page=True)


def test_the_history_takes_the_owner_back_to_the_columns_to_choose(page, reference_data, tmp_path):
    path = tmp_path / "otra-lista.csv"
    path.write_text("Col A;Col B\nRosa Elena;Quispe Mamani\n", encoding="utf-8")
    page = upload_as(page, "admin-historial", path)
    expect(page.locator("#import-status")).to_have_text("Columnas por elegir")

    page.goto("/clientes/importar/")
    row = page.locator("#import-history tbody tr").filter(has_text="otra-lista.csv")
    expect(row).to_contain_text("Columnas por elegir")
    page.screenshot(path=SCREENSHOTS.format("importar-4-historial-columnas"), full_page=True)
    row.get_by_role("link", name="Elegir columnas").click()
    expect(page.locator("#import-columns-form")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=SCREENSHOTS.format("importar-5-columnas-telefono"), full_page=True)


def test_an_erpnext_list_of_companies_without_giro_imports_with_one_giro_for_every_row(page, reference_data, tmp_path):
    # ERPNext's customer export with an address the office added, but no giro, which every
    # Peruvian company needs: one value for all the rows in the mapping step.
    headers = ["Customer Name", "Customer Type", "Tax ID", "Email Id", "Mobile No", "Dirección", "Distrito"]
    rucs = [valid_ruc(), valid_ruc()]
    rows = [
        ["Inversiones Andinas S.A.C.", "Company", rucs[0], "info@andinas.pe", "", "Av. Sol 120", "Wanchaq"],
        ["Comercial del Sur E.I.R.L.", "Company", rucs[1], "ventas@delsur.pe", "984 111 222", "Jr. Puno 45", "Wanchaq"],
    ]
    path = tmp_path / "Customer.xlsx"
    path.write_bytes(xlsx(rows, headers=headers))
    page = upload_as(page, "admin-valor-fijo", path)
    expect(page.locator("#import-errors")).to_contain_text("Ingrese el giro de la empresa.")
    expect(page.locator("#import-constants")).to_have_count(0)

    # Rows refused for their giro: the section that gives one to every row is open.
    expect(page.locator("#import-constants-form")).to_have_attribute("open", "")
    expect(page.get_by_text("Si la fila trae el dato, vale el del archivo.")).to_be_visible()
    giro = page.get_by_label("Giro", exact=True)
    # A value no cell could hold: refused on the form, naming the field, what was typed kept.
    giro.fill("Comercio " * 17)
    page.get_by_role("button", name="Aplicar columnas y revisar de nuevo").click()
    expect(page.get_by_text("Giro (valor para todas las filas): Máximo 150 caracteres")).to_be_visible()
    expect(page.get_by_label("Giro", exact=True)).to_have_value("Comercio " * 17)
    page.screenshot(path=SCREENSHOTS.format("importar-valor-rechazado"), full_page=True)
    giro = page.get_by_label("Giro", exact=True)
    giro.fill("Comercio")
    expect(page.get_by_text("Cambió columnas: aplíquelas")).to_be_visible()  # typed, not yet applied
    page.screenshot(path=SCREENSHOTS.format("importar-valor-para-todas-las-filas"), full_page=True)

    page.get_by_role("button", name="Aplicar columnas y revisar de nuevo").click()
    expect(page.get_by_text("Columnas aplicadas: la vista previa ya las usa.")).to_be_visible()
    expect(page.locator("#import-constants")).to_contain_text("Giro: Comercio para todas las filas")
    expect(page.locator("#import-errors")).to_have_count(0)
    expect(page.locator("#import-next")).to_contain_text("Al importar se crearán 2 clientes.")
    expect(page.get_by_label("Giro", exact=True)).to_have_value("Comercio")
    page.screenshot(path=SCREENSHOTS.format("importar-valor-vista-previa"), full_page=True)

    page.get_by_role("button", name="Importar", exact=True).click()
    expect(page.locator("#import-status")).to_have_text("Terminada")
    assert set(Customer.objects.filter(document_number__in=rucs).values_list("business_line", flat=True)) == {
        "Comercio"
    }


def test_a_list_without_titles_imports_its_first_row_after_the_mapping_step(page, reference_data, tmp_path):
    from tests.customers.test_import_untitled import WARNING, untitled_rows
    from tests.customers.test_import_untitled import xlsx as untitled_xlsx

    rucs = [valid_ruc(), valid_ruc()]
    path = tmp_path / "clientes sin títulos.xlsx"
    path.write_bytes(untitled_xlsx(untitled_rows(rucs=rucs)))
    page = upload_as(page, "admin-sin-titulos", path)

    expect(page.locator("#import-warnings")).to_contain_text(WARNING)
    expect(page.locator("#import-columns")).to_have_attribute("open", "")
    # Guessed from the values: the RUCs, the ubigeos and the phones.
    expect(page.get_by_label("«Columna A»")).to_have_value("document_number")
    expect(page.get_by_label("«Columna E»")).to_have_value("ubigeo")
    expect(page.get_by_label("«Columna B»")).to_have_value("")
    page.screenshot(path=SCREENSHOTS.format("importar-sin-titulos"), full_page=True)

    page.get_by_label("«Columna B»").select_option(label="Razón social")
    page.get_by_label("«Columna C»").select_option(label="Giro")
    page.get_by_label("«Columna D»").select_option(label="Dirección")
    apply_columns_and_import(page)
    # Row 1 was a customer, not titles: both came in.
    assert set(Customer.objects.values_list("document_number", flat=True)) == set(rucs)
    assert Customer.objects.get(document_number=rucs[0]).business_name == "Empresa 0 S.A.C."


def test_a_file_whose_rows_all_lack_the_giro_points_to_the_value_for_every_row(page, reference_data, tmp_path):
    # Every row refused for the same missing giro: «No hay filas que importar» would send the
    # person back to the file, while one value in the mapping step fixes them all. Not so the
    # cupo the file has, whose bad value is fixed in the file (a cell wins over that value).
    headers = ["Customer Name", "Tax ID", "Dirección", "Distrito", "Cupo de crédito"]
    rows = [["Inversiones Andinas S.A.C.", valid_ruc(), "Av. Sol 120", "Wanchaq", "mil soles"]]
    path = tmp_path / "Customer.xlsx"
    path.write_bytes(xlsx(rows, headers=headers))
    page = upload_as(page, "admin-sin-giro", path)
    expect(page.locator("#import-next")).to_contain_text(
        "El archivo no trae Giro: puede darlo para todas las filas arriba, en «Valor para todas las filas», sin "
        "cambiar el archivo."
    )

    # A refused value: its field is outlined (the message above says why), the others are not.
    page.get_by_label("Giro", exact=True).fill("Comercio " * 17)
    page.get_by_role("button", name="Aplicar columnas y revisar de nuevo").click()
    expect(page.get_by_text("Giro (valor para todas las filas): Máximo 150 caracteres")).to_be_visible()
    expect(page.get_by_label("Giro", exact=True)).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.get_by_label("Giro", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#import-constants-form .is-invalid")).to_have_count(1)
    page.screenshot(path=SCREENSHOTS.format("importar-valor-rechazado-marcado"), full_page=True)
