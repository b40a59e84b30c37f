"""The import's pages in the states a first walk through them found confusing: a file with only
its titles, a preview with nothing to confirm, sheets left empty, addresses for registered
customers only, the mapping step for our own template and for another system's file, the size
limit's words, and the template a person opens first."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from customers import importing, spreadsheets
from customers.models import Address, ImportJob
from tests.customers.test_import import HEADERS, company, xlsx
from tests.customers.test_import_admin import upload as admin_upload
from tests.customers.test_import_pages import _text
from tests.customers.test_import_sheets import workbook
from tests.factories import make_company, valid_ruc

IMPORT = reverse("customers:import")


@pytest.fixture
def admin(client, administrador):
    client.force_login(administrador)
    return administrador


def _upload(client, content: bytes, name="clientes.xlsx") -> tuple[ImportJob, str]:
    response = client.post(IMPORT, {"archivo": SimpleUploadedFile(name, content)})
    assert response.status_code == 302, response.content.decode()
    return ImportJob.objects.get(file_name=name), client.get(response.url).content.decode()


def test_a_file_with_only_its_titles_says_it_has_no_rows(client, admin):
    _, html = _upload(client, xlsx([]))
    page = _text(html)
    assert "El archivo no tiene clientes que importar: escriba una fila por cliente debajo de los títulos." in page
    assert "ya están registrados" not in page


def test_a_preview_with_nothing_to_import_offers_another_upload_not_a_dead_form(client, admin):
    _, html = _upload(client, xlsx([company(ruc="12345678901")]))
    confirm = re.search(r'<form[^>]*id="import-confirm".*?</form>', html, re.S).group(0)
    assert 'name="modo"' not in confirm and "Importar</button>" not in confirm
    assert re.search(r'<a class="btn btn-primary" href="' + re.escape(IMPORT) + '">Subir otro archivo</a>', confirm)


def test_a_preview_with_rows_to_import_still_asks_how(client, admin):
    _, html = _upload(client, xlsx([company()]))
    confirm = re.search(r'<form[^>]*id="import-confirm".*?</form>', html, re.S).group(0)
    assert 'name="modo"' in confirm and '<button type="submit" class="btn btn-primary">Importar</button>' in confirm


def test_sheets_left_with_their_titles_only_are_not_listed(client, admin):
    _, html = _upload(client, workbook([company()], addresses=[], contacts=[]))
    assert 'id="import-sheets"' not in html and "Hoja Direcciones" not in html
    assert "<th>Hoja</th>" not in html


def test_a_sheet_with_rows_is_listed(client, admin):
    ruc = company()[HEADERS.index("Número de documento")]
    rows = [["RUC", ruc, "Entrega", "Lima", "Lima", "Ate", "Av. Nicolás Ayllón 2890"]]
    _, html = _upload(client, workbook([company(ruc=ruc)], addresses=rows, contacts=[]))
    assert "Hoja Direcciones: 1 por agregar, 0 ya registrados, 0 con errores." in _text(html)
    assert "Hoja Contactos" not in html


def test_addresses_for_registered_customers_only_can_be_imported(client, admin):
    customer = make_company()
    rows = [["RUC", customer.document_number, "Entrega", "Lima", "Lima", "Ate", "Av. Nicolás Ayllón 2890"]]
    job, html = _upload(client, workbook([], addresses=rows))
    assert (job.to_create, job.to_update) == (0, 0)
    assert "Al importar se agregará 1 dirección o contacto a clientes ya registrados." in _text(html)
    assert '<button type="submit" class="btn btn-primary">Importar</button>' in html
    # The history leads to it as to any preview to confirm.
    history = client.get(IMPORT).content.decode()
    assert f'href="{reverse("customers:import_detail", args=[job.pk])}">Revisar y confirmar</a>' in history
    client.post(reverse("customers:import_confirm", args=[job.pk]), {"modo": "todo"})
    assert Address.objects.filter(customer=customer, street="Av. Nicolás Ayllón 2890").exists()
    result = _text(client.get(reverse("customers:import_detail", args=[job.pk])).content.decode())
    assert "Hoja Direcciones: 1 agregado, 0 ya registrados, 0 con errores." in result


def test_the_history_offers_only_a_look_at_a_preview_with_nothing_to_import(client, admin):
    job, _ = _upload(client, xlsx([company(ruc="12345678901")]))
    history = client.get(IMPORT).content.decode()
    assert f'href="{reverse("customers:import_detail", args=[job.pk])}">Ver la vista previa</a>' in history


def test_the_mapping_step_stays_closed_for_our_columns_with_one_of_the_office_s_own(client, admin):
    content = xlsx([company() + ["vendedor Juan"]], headers=[*HEADERS, "Vendedor"])
    _, html = _upload(client, content)
    details = re.search(r'<details[^>]*id="import-columns"[^>]*>', html).group(0)
    assert " open" not in details
    assert "(12 reconocidas, 1 ignorada)" in _text(html)
    assert "Se ignoró la columna «Vendedor»" in html  # the warning still names it


def test_the_mapping_step_stays_closed_for_our_columns_with_a_bad_value_in_a_cell(client, admin):
    # A district that does not exist is fixed in the file (the cell wins over a value for every
    # row): forty drop-downs opened above Importar would not help.
    content = xlsx([company(Distrito="Narnia"), company()])
    _, html = _upload(client, content)
    assert "No existe el distrito «Narnia»" in html
    details = re.search(r'<details[^>]*id="import-columns"[^>]*>', html).group(0)
    assert " open" not in details
    assert 'id="import-constants-form" open' not in html


def test_the_mapping_step_opens_for_another_system_s_file(client, admin):
    content = xlsx(
        [["1", "20100070970", "Gloria S.A.", "ventas@gloria.com.pe", "Juan"]],
        headers=["Código", "Nro. RUC/DNI", "Nombre Cliente", "E-mail de contacto", "Vendedor"],
    )
    _, html = _upload(client, content)
    assert re.search(r'<details[^>]*id="import-columns"[^>]*\bopen\b', html)
    assert "sugerida" in _text(html) and "revíselas" in _text(html)


def test_a_file_just_over_the_size_limit_does_not_read_as_the_limit(settings):
    settings.IMPORT_MAX_BYTES = 20 * 1_048_576
    with pytest.raises(spreadsheets.FileRefused) as refused:
        spreadsheets.check_upload("grande.xlsx", 21_000_000)
    assert str(refused.value.args[0]).startswith("El archivo pesa 20.1 MB; el máximo es 20 MB.")


def test_the_upload_field_carries_the_limit_for_the_browser_unlocalized(client, admin, settings):
    settings.IMPORT_MAX_BYTES = 20_971_520
    assert 'data-max-bytes="20971520"' in client.get(IMPORT).content.decode()


def test_the_template_shows_its_examples_in_grey_and_its_instructions_second(admin):
    book = load_workbook(io.BytesIO(importing.template_xlsx()))
    assert book.sheetnames[:2] == ["Clientes", "Instrucciones"]
    for sheet, row in (("Clientes", 2), ("Clientes", 3), ("Direcciones", 2), ("Contactos", 2)):
        assert book[sheet].cell(row=row, column=1).font.i, (sheet, row)
    assert not book["Clientes"].cell(row=1, column=1).font.i
    instructions = " ".join(str(c.value) for c in book["Instrucciones"]["B"] if c.value)
    assert "Borre las filas de ejemplo (en gris) de las hojas Clientes, Direcciones y Contactos" in instructions


def test_the_admin_import_form_says_archivo_as_in_peru(client, admin):
    page = client.get("/admin/customers/customer/import/").content.decode()
    assert "Archivo a importar (.xlsx, .ods, .xls o .csv)" in page and "Fichero" not in page


def test_the_template_s_example_address_left_alone_is_named_as_the_example(client, admin):
    # The Clientes examples deleted, the Direcciones one left as it was is skipped
    # (test_import_examples); one written over but still with the example's document: the
    # error says what it is.
    example = ["RUC", "20100070970", "Entrega", "Lima", "Lima", "Ate", "Av. Nicolás Ayllón 2890"]
    edited = ["RUC", "20100070970", "Entrega", "Lima", "Lima", "Ate", "Av. Nicolás Ayllón 2900"]
    other = ["RUC", valid_ruc(), "Entrega", "Lima", "Lima", "Ate", "Av. Nicolás Ayllón 2890"]
    _, html = _upload(client, workbook([company()], addresses=[example, edited, other]))
    page = _text(html)
    assert "Se omitió la fila de ejemplo de la plantilla." in page
    assert (
        "No hay un cliente con ese documento en la hoja Clientes ni registrado. "
        "Si es la fila de ejemplo de la plantilla, bórrela." in page
    )
    assert page.count("No hay un cliente con ese documento") == 2
    assert page.count("Si es la fila de ejemplo") == 1  # not for a document of the office's own


def test_applying_columns_says_the_preview_is_new(client, admin, settings):
    content = xlsx([["20100070970", "Gloria S.A."]], headers=["Nro. RUC", "Cliente"])
    job, _ = _upload(client, content)
    post = {f"col_{i}": key for i, key in enumerate(["document_number", "business_name"])}
    response = client.post(reverse("customers:import_columns", args=[job.pk]), post, follow=True)
    assert "Columnas aplicadas: la vista previa ya las usa." in response.content.decode()

    settings.IMPORT_INLINE_MAX_BYTES = 10  # a large file: revised again in the background
    response = client.post(reverse("customers:import_columns", args=[job.pk]), post, follow=True)
    assert "Columnas aplicadas: el archivo se revisa de nuevo con ellas." in response.content.decode()


def test_a_refused_file_offers_another_upload_and_the_template(client, admin):
    # Titles nobody recognizes and no row under them: nothing to map (with rows, the mapping
    # step asks what the columns are: test_import_columns_to_choose).
    job, html = _upload(client, xlsx([], headers=["foo", "bar"]))
    assert job.status == ImportJob.Status.REFUSED
    next_steps = re.search(r'<p id="import-refused-next">.*?</p>', html, re.S).group(0)
    assert f'href="{IMPORT}">Subir otro archivo</a>' in next_steps
    assert f'href="{reverse("customers:import_template")}" download>Descargar plantilla (.xlsx)</a>' in next_steps
    # A refused file has no columns to choose (the mapping step is a preview's): the message says
    # what the person can do.
    assert "Ponga en la primera fila los títulos de la plantilla y súbalo de nuevo." in _text(html)
    assert "elija las columnas" not in _text(html)


def test_the_untouched_template_says_it_has_no_customers_not_that_it_has_no_rows(client, admin):
    _, html = _upload(client, importing.template_xlsx(), name="plantilla-clientes.xlsx")
    page = _text(html)
    assert "Se omitieron las" in page  # its example rows: there were rows under the titles
    assert "El archivo no tiene clientes que importar: escriba una fila por cliente debajo de los títulos." in page
    assert "no hay filas con datos" not in page


@pytest.mark.parametrize("status", [ImportJob.Status.READY, ImportJob.Status.FAILED])
def test_another_administrador_is_told_who_may_confirm_or_retry(client, admin, status):
    from tests.roles import user_with_role

    job, _ = _upload(client, xlsx([company()]))
    ImportJob.objects.filter(pk=job.pk).update(status=status)
    admin.first_name, admin.last_name = "Ana", "Torres"
    admin.save()
    client.force_login(user_with_role("Administrador", username="otro"))
    page = _text(client.get(reverse("customers:import_detail", args=[job.pk])).content.decode())
    action = "confirmar" if status == ImportJob.Status.READY else "reintentar"
    assert f"Solo Ana Torres, quien subió el archivo, puede {action} esta importación." in page
    assert "Reintentar" not in page and "¿Cómo importar?" not in page


def test_the_uploader_is_not_told_that_only_the_uploader_may_act(client, admin):
    job, html = _upload(client, xlsx([company()]))
    assert 'id="import-owner-only"' not in html
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED)
    page = client.get(reverse("customers:import_detail", args=[job.pk])).content.decode()
    assert 'id="import-owner-only"' not in page


def test_the_history_leads_the_uploader_of_a_failed_import_to_retry_it(client, admin):
    job, _ = _upload(client, xlsx([company()]))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED)
    html = client.get(IMPORT).content.decode()
    assert f'<a href="{reverse("customers:import_detail", args=[job.pk])}">Ver y reintentar</a>' in html


def test_the_app_and_the_admin_say_nothing_to_import_in_the_one_sentence_of_the_import(client, admin, monkeypatch):
    # Written once (importing.NOTHING_TO_IMPORT): a changed sentence reaches the preview page and
    # the admin's refusal alike, rather than one of them keeping an old copy.
    monkeypatch.setattr(importing, "NOTHING_TO_IMPORT", "Frase cambiada en un solo lugar.")
    _, html = _upload(client, xlsx([]))
    assert "Frase cambiada en un solo lugar." in _text(html)
    assert "escriba una fila por cliente debajo de los títulos" not in html
    admin_page = admin_upload(client, xlsx([]), name="solo-titulos.xlsx").content.decode()
    assert "Frase cambiada en un solo lugar." in admin_page
