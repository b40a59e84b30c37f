"""The template's example rows («Gloria S.A.» with its real RUC, «Quispe Mamani, Rosa Elena», and
the Direcciones and Contactos examples) left in a file as they came are skipped with one
warning, not imported and not counted as errors; a row written over them is a row like any."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from attributes.models import AttributeDefinition
from customers import import_columns as cols
from customers import importing
from customers.models import Address, Category, Contact, Customer, ImportStagedRow
from tests.customers.test_import import HEADERS, company, preview, run, xlsx
from tests.factories import valid_ruc
from tests.roles import user_with_role

SIX_EXAMPLES = "Se omitieron las 6 filas de ejemplo de la plantilla."


@pytest.fixture
def admin(db):
    for name in ("PRO", "NORMAL"):  # the categorías the examples name (seeded; flushed by others)
        Category.objects.get_or_create(name=name)
    return user_with_role("Administrador")


def filled_template(typed=(), edit=None) -> bytes:
    """The downloaded template, examples left, with ``typed`` rows ({header: value}) below them
    in Clientes; ``edit(book)`` changes what a person changes."""
    book = load_workbook(io.BytesIO(importing.template_xlsx()))
    sheet = book["Clientes"]
    headers = [cell.value for cell in sheet[1]]
    # Below the examples, where a person types (append would go below the 5,000 formatted rows).
    for number, values in enumerate(typed, start=len(cols.EXAMPLES) + 2):
        for column, header in enumerate(headers, start=1):
            sheet.cell(row=number, column=column, value=values.get(header))
    if edit is not None:
        edit(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def own_company(ruc=None, **values):
    return {
        "Tipo de cliente": "Empresa",
        "Tipo de documento": "RUC",
        "Número de documento": ruc or valid_ruc(),
        "Razón social": "Ferretería Quispe S.A.C.",
        "Giro": "Ferretería",
        "Departamento": "Lima",
        "Provincia": "Lima",
        "Distrito": "Ate",
        "Dirección": "Av. Central 45",
        **values,
    }


def test_the_template_s_examples_left_in_the_file_are_skipped_with_one_warning(admin):
    job = preview(admin, filled_template([own_company()]))
    assert (job.to_create, job.to_update, job.error_rows, job.rows_total) == (1, 0, 0, 1), job.errors
    assert SIX_EXAMPLES in job.warnings  # two in each sheet: the company's and the person's
    assert job.sheets["Direcciones"]["errors"] == job.sheets["Contactos"]["errors"] == 0
    assert not job.error_report
    assert set(ImportStagedRow.objects.values_list("number", flat=True)) == {4}

    job = run(admin, job)
    assert (job.status, job.created) == ("terminada", 1)
    assert list(Customer.objects.values_list("name", flat=True)) == ["Ferretería Quispe S.A.C."]
    assert not Address.objects.exclude(customer__name="Ferretería Quispe S.A.C.").exists()
    assert not Contact.objects.exists()


def test_the_template_uploaded_untouched_imports_nothing(admin):
    job = preview(admin, filled_template())
    assert (job.to_create, job.error_rows) == (0, 0) and not job.importable
    assert job.warnings == [SIX_EXAMPLES]


def test_an_example_written_over_is_a_row_like_any(admin):
    ruc = valid_ruc()

    def edit(book):
        book["Clientes"]["E2"] = "Lácteos del Sur S.A.C."  # Razón social of the example company
        book["Clientes"]["D2"] = ruc
        book["Contactos"]["D2"] = "Ana Torres Vega"  # Nombre of the example contact

    job = preview(admin, filled_template(edit=edit))
    # The company and its contact (under the example's RUC: no such customer) are rows now; the
    # person, the addresses and the person's contact are still the examples.
    assert job.to_create == 1
    assert job.sheets["Contactos"]["errors"] == 1
    assert "Se omitieron las 4 filas de ejemplo de la plantilla." in job.warnings


def test_an_example_as_excel_leaves_it_is_still_an_example(admin):
    def edit(book):
        sheet = book["Clientes"]
        sheet["D3"] = 7654321  # the example DNI as a number: its leading zero gone
        sheet["F3"] = "ROSA ELENA"  # another case
        sheet["D2"] = 20100070970  # the example RUC as a number

    job = preview(admin, filled_template(edit=edit))
    assert SIX_EXAMPLES in job.warnings and job.to_create == 0


def test_a_single_example_left_is_named_in_the_singular(admin):
    def edit(book):
        for sheet in ("Direcciones", "Contactos"):
            book[sheet].delete_rows(2, 2)
        book["Clientes"].delete_rows(3)

    job = preview(admin, filled_template([own_company()], edit=edit))
    assert "Se omitió la fila de ejemplo de la plantilla." in job.warnings and job.to_create == 1


def test_an_attribute_value_on_an_example_row_makes_it_a_real_row(admin):
    AttributeDefinition.objects.create(name="Zona de reparto", kind="texto", position=1)

    def edit(book):
        sheet = book["Clientes"]
        column = [cell.value for cell in sheet[1]].index("Zona de reparto") + 1
        sheet.cell(row=3, column=column, value="Norte")

    job = preview(admin, filled_template(edit=edit))
    # The company example (its attribute empty, as the template wrote it) is skipped with the
    # other sheets' examples; the person with a value of the office's own is a customer to create.
    assert "Se omitieron las 5 filas de ejemplo de la plantilla." in job.warnings
    assert job.to_create == 1


def test_a_file_without_the_document_column_skips_nothing(admin):
    # Without the examples' documents nothing tells an example from a customer of that name.
    job = preview(admin, xlsx([["Rosa Elena", "Quispe Mamani"]], headers=["Nombres", "Apellidos"]))
    assert job.to_create == 1 and not any("ejemplo" in w for w in job.warnings)


def checked_in_workers(monkeypatch, settings) -> list:
    """Make a small file's preview run in two worker processes, chunks of 3 rows; the returned
    list gets the number of workers of each preview that used them."""
    monkeypatch.setattr(importing, "CHUNK", 3)
    monkeypatch.setattr(importing, "PARALLEL_FROM", 1)
    settings.IMPORT_INLINE_MAX_BYTES = 0  # a file the task worker checks, not the request
    monkeypatch.setattr(importing.os, "cpu_count", lambda: 2)
    calls = []
    in_workers = importing._analyze_in_workers
    monkeypatch.setattr(importing, "_analyze_in_workers", lambda *a, **k: calls.append(a[1]) or in_workers(*a, **k))
    return calls


def test_the_examples_are_skipped_when_workers_check_a_large_file(committed_admin, monkeypatch, settings):
    by_header = {column.header: column for column in cols.COLUMNS}
    examples = [[getattr(by_header[h], example) for h in HEADERS] for example in cols.EXAMPLES]
    content = xlsx([examples[0], *[company(name=f"Empresa {n} S.A.") for n in range(9)], examples[1]])
    calls = checked_in_workers(monkeypatch, settings)
    job = importing.preview_import(
        importing.start_import(actor=committed_admin, upload=SimpleUploadedFile("c.xlsx", content)).pk
    )
    assert calls == [2]  # two worker processes checked it
    assert (job.to_create, job.error_rows, job.rows_total) == (9, 0, 9), job.errors
    assert "Se omitieron las 2 filas de ejemplo de la plantilla." in job.warnings


@pytest.fixture
def committed_admin(transactional_db, reference_data):
    return user_with_role("Administrador")


def test_the_admin_import_skips_the_examples_too(client, admin):
    from tests.customers.test_import_admin import confirm, upload

    client.force_login(admin)
    response = confirm(client, upload(client, filled_template([own_company()])))
    assert response.status_code == 302
    assert list(Customer.objects.values_list("name", flat=True)) == ["Ferretería Quispe S.A.C."]
    assert not Contact.objects.exists()


def test_a_customer_typed_over_an_example_row_is_told_it_kept_the_example_s_contact_cells(admin):
    def edit(book):
        # Name and RUC typed over the example company; its e-mail, phone and web page left as they were.
        book["Clientes"]["E2"] = "Lácteos del Sur S.A.C."
        book["Clientes"]["D2"] = valid_ruc()

    job = preview(admin, filled_template([own_company()], edit=edit))
    assert job.to_create == 2
    kept = [w for w in job.warnings if "fila de ejemplo de la plantilla (" in w]
    assert kept == [
        "La fila 2 de Clientes conserva el correo, el teléfono o la página web de una fila de "
        "ejemplo de la plantilla (Gloria S.A. o Rosa Elena Quispe Mamani): revíselos en la vista previa y "
        "corríjalos en el archivo antes de confirmar."
    ]


def test_rows_of_their_own_contact_cells_are_not_told_about_the_examples(admin):
    job = preview(admin, filled_template([own_company(), own_company(**{"Correos": "compras@quispe.pe"})]))
    assert job.to_create == 2
    assert not [w for w in job.warnings if "conserva" in w]


def test_a_customer_whose_one_phone_is_like_an_example_s_is_not_told_about_the_examples(admin):
    # «987 654 321» is the example person's mobile, and a number like any: alone it says nothing.
    job = preview(admin, filled_template([own_company(**{"Teléfonos": "987 654 321"})]))
    assert job.to_create == 1
    assert not [w for w in job.warnings if "conserva" in w]
