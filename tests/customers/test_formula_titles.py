"""Titles and list values are cells too: an attribute, category or a file's column named like a
formula («=HYPERLINK(…)») must not run as one in the CSV export, the template or the rejected
rows' report (spreadsheets.escape_formula, as for every other text cell)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from attributes.models import AttributeDefinition
from customers import importing
from customers.models import Category, Customer, ImportJob
from tests.factories import make_company, valid_ruc
from tests.roles import user_with_role

FORMULA = '=HYPERLINK("http://ejemplo.pe","clic")'


def _formula_cells(content: bytes) -> list:
    """Every cell of every sheet that Excel would run: a formula, or text starting as one."""
    workbook = load_workbook(io.BytesIO(content))
    return [
        (sheet.title, cell.coordinate, cell.value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value[:1] in "=+-@")
    ]


def test_an_attribute_named_like_a_formula_is_escaped_in_the_csv_export_titles(client, db):
    AttributeDefinition.objects.create(name=FORMULA, kind="texto", position=1)
    make_company(business_name="Gloria S.A.")
    client.force_login(user_with_role("Ventas"))
    response = client.get(reverse("customers:export") + "?formato=csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    headers = next(csv.reader(io.StringIO(body)))
    assert "'" + FORMULA in headers
    assert not [h for h in headers if h[:1] in "=+-@"]


def test_the_template_holds_no_formula_from_attribute_or_category_names(client, db):
    AttributeDefinition.objects.create(
        name=FORMULA, kind="lista", options=["+Oro", "Plata"], help_text="@ayuda", position=1
    )
    Category.objects.create(name="-Mayorista")
    admin = user_with_role("Administrador")
    client.force_login(admin)
    content = client.get(reverse("customers:import_template")).content
    assert _formula_cells(content) == []
    titles = [cell.value for cell in load_workbook(io.BytesIO(content))["Clientes"][1]]
    assert "'" + FORMULA in titles


def test_the_template_s_escaped_attribute_title_reads_back_as_the_attribute(db):
    level = AttributeDefinition.objects.create(name=FORMULA, kind="lista", options=["+Oro", "Plata"], position=1)
    admin = user_with_role("Administrador")
    workbook = load_workbook(io.BytesIO(importing.template_xlsx()))
    sheet = workbook["Clientes"]
    titles = [cell.value for cell in sheet[1]]
    row = {
        "Tipo de cliente": "Empresa",
        "Tipo de documento": "RUC",
        "Número de documento": valid_ruc(),
        "Razón social": "Gloria S.A.",
        "Giro": "Lácteos",
        "Departamento": "Lima",
        "Provincia": "Lima",
        "Distrito": "Miraflores",
        "Dirección": "Av. Arequipa 1000",
        "'" + FORMULA: "'+Oro",  # as the template's drop-down gives it
    }
    sheet.delete_rows(2, sheet.max_row)
    sheet.append([row.get(title) for title in titles])
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = importing.start_import(actor=admin, upload=SimpleUploadedFile("plantilla.xlsx", buffer.getvalue()))
    job = importing.preview_import(job.pk)
    assert (job.to_create, job.error_rows) == (1, 0), job.errors
    importing.run_import(importing.confirm_import(actor=admin, job=job, mode="todo").pk)
    assert Customer.objects.get().attributes[level.key] == "+Oro"


@pytest.mark.parametrize("title", [FORMULA, "+SUM(A1)", "@cmd x"])
def test_the_rejected_rows_report_escapes_a_title_like_a_formula(client, db, title):
    admin = user_with_role("Administrador")
    client.force_login(admin)
    text = f'Número de documento,Razón social,"{title.replace(chr(34), chr(34) * 2)}"\r\n123,Gloria S.A.,x\r\n'
    client.post(reverse("customers:import"), {"archivo": SimpleUploadedFile("clientes.csv", text.encode())})

    job = ImportJob.objects.get()
    assert job.status == "lista" and job.error_rows == 1, (job.status, job.message)
    content = b"".join(client.get(reverse("customers:import_report", args=[job.pk])).streaming_content)
    assert _formula_cells(content) == []
    assert "'" + title in [cell.value for cell in load_workbook(io.BytesIO(content))["Clientes"][1]]
