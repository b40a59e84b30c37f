"""Import and export pages: permissions, the export equals the filtered list, formula escaping,
the background path with its progress."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks import task_backends
from openpyxl import load_workbook

from attributes.models import AttributeDefinition
from customers import importing
from customers.models import Customer, CustomerPhone, ImportJob
from tests.customers.test_import import company, xlsx
from tests.factories import make_company, make_person
from tests.roles import user_with_role

EXPORT = reverse("customers:export")
IMPORT = reverse("customers:import")


def exported(client, query="") -> list[list[str]]:
    response = client.get(f"{EXPORT}?formato=csv&{query}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("role", "status"), [("Administrador", 200), ("Ventas", 200), ("Créditos", 403), ("Consulta", 403)]
)
def test_export_permission(client, db, role, status):
    make_company()
    client.force_login(user_with_role(role))
    assert client.get(EXPORT).status_code == status


@pytest.mark.parametrize(("role", "status"), [("Administrador", 200), ("Ventas", 403), ("Consulta", 403)])
def test_import_permission(client, db, role, status):
    client.force_login(user_with_role(role))
    assert client.get(IMPORT).status_code == status
    assert client.get(reverse("customers:import_template")).status_code == status


def test_export_has_exactly_the_filtered_list(client, db):
    make_person(first_names="Rosa", last_names="Quispe")
    make_person(first_names="Rosa", last_names="Mamani", is_active=False)
    make_company(business_name="Quispe Hermanos S.A.C.")
    client.force_login(user_with_role("Ventas"))
    rows = exported(client, "q=quispe&tipo=persona")
    assert [r[6] for r in rows[1:]] == ["Quispe"]
    everyone = exported(client, "estado=todos")
    assert len(everyone) == 4


def test_export_has_every_field_and_attribute(client, db):
    level = AttributeDefinition.objects.create(name="Nivel", kind="lista", options=["Oro", "Plata"], position=1)
    since = AttributeDefinition.objects.create(name="Desde", kind="fecha", position=2)
    make_company(business_name="Gloria S.A.", attributes={level.key: "Oro", since.key: "2024-03-15"})
    client.force_login(user_with_role("Ventas"))
    headers, row = exported(client)
    values = dict(zip(headers, row, strict=True))
    assert values["Razón social"] == "Gloria S.A." and values["Nivel"] == "Oro" and values["Desde"] == "15/03/2024"
    assert values["Tipo de documento"] == "RUC" and values["Estado"] == "Activo"


def test_cells_that_would_run_as_formulas_are_escaped(client, db):
    make_company(business_name='=HYPERLINK("http://x")', business_line="+SUM(A1)")
    client.force_login(user_with_role("Ventas"))
    headers, row = exported(client)
    values = dict(zip(headers, row, strict=True))
    assert values["Razón social"] == '\'=HYPERLINK("http://x")'
    assert values["Giro"] == "'+SUM(A1)"


def test_excel_export_round_trips_through_the_import(client, db):
    make_company(business_name="-Menos S.A.C.")
    admin = user_with_role("Administrador")
    client.force_login(admin)
    response = client.get(f"{EXPORT}?formato=xlsx")
    content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet["E2"].value == "'-Menos S.A.C."
    job = importing.start_import(actor=admin, upload=SimpleUploadedFile("export.xlsx", content))
    job = importing.preview_import(job.pk)
    assert (job.unchanged, job.error_rows, job.warnings) == (1, 0, []), job.errors


@pytest.mark.parametrize("formato", ["csv", "xlsx"])
def test_negative_numbers_and_decimals_round_trip_unchanged(client, db, formato):
    debt = AttributeDefinition.objects.create(name="Deuda", kind="entero", position=1)
    balance = AttributeDefinition.objects.create(name="Saldo", kind="decimal", position=2)
    weight = AttributeDefinition.objects.create(name="Peso", kind="decimal", position=3)
    make_company(attributes={debt.key: -5, balance.key: -2.5, weight.key: 1500.5})
    make_person(attributes={debt.key: 0, balance.key: -1000, weight.key: 0.0001})
    admin = user_with_role("Administrador")
    client.force_login(admin)
    response = client.get(f"{EXPORT}?formato={formato}")
    content = b"".join(response.streaming_content)
    job = importing.start_import(actor=admin, upload=SimpleUploadedFile(f"export.{formato}", content))
    job = importing.preview_import(job.pk)
    assert (job.unchanged, job.error_rows, job.warnings) == (2, 0, []), job.errors


@pytest.mark.parametrize("formato", ["csv", "xlsx"])
def test_phones_export_as_the_page_shows_them_and_round_trip_unchanged(client, db, formato):
    customer = make_company(phone="+51987654321")
    for position, number in enumerate(["+5114701234;ext=205", "+5184234567", "+13055550123"], start=1):
        CustomerPhone.objects.create(customer=customer, number=number, position=position)
    admin = user_with_role("Administrador")
    client.force_login(admin)
    content = b"".join(client.get(f"{EXPORT}?formato={formato}").streaming_content)
    if formato == "csv":
        phones = next(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))["Teléfonos"]
    else:
        sheet = load_workbook(io.BytesIO(content)).active
        phones = dict(zip([c.value for c in sheet[1]], [c.value for c in sheet[2]], strict=True))["Teléfonos"]
    assert phones == "987 654 321, (01) 470 1234 anexo 205, (084) 234 567, +13055550123"
    job = importing.start_import(actor=admin, upload=SimpleUploadedFile(f"export.{formato}", content))
    job = importing.preview_import(job.pk)
    assert (job.unchanged, job.error_rows, job.warnings) == (1, 0, []), job.errors


def test_the_errors_table_names_rows_as_the_spreadsheet_numbers_them(client, db):
    # "Fila 5002", as Excel's row header says, not "5,002".
    workbook = load_workbook(io.BytesIO(xlsx([company()])))
    sheet = workbook.active
    for column, value in enumerate(company(ruc="20100070971"), start=1):
        sheet.cell(row=5002, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    admin = user_with_role("Administrador")
    client.force_login(admin)
    response = client.post(IMPORT, {"archivo": SimpleUploadedFile("c.xlsx", buffer.getvalue())})
    page = client.get(response.url).content.decode()
    assert "<td>5002</td>" in page and "5,002" not in page


def test_upload_preview_confirm_through_the_pages(client, db):
    admin = user_with_role("Administrador")
    client.force_login(admin)
    response = client.post(IMPORT, {"archivo": SimpleUploadedFile("c.xlsx", xlsx([company()]))})
    job = ImportJob.objects.get()
    assert response.url == reverse("customers:import_detail", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert "Vista previa lista" in page and "por crear" in page
    client.post(reverse("customers:import_confirm", args=[job.pk]), {"modo": "todo"})
    assert Customer.objects.count() == 1
    assert "Terminada" in client.get(IMPORT).content.decode()


def test_a_refused_upload_says_why(client, db):
    client.force_login(user_with_role("Administrador"))
    response = client.post(IMPORT, {"archivo": SimpleUploadedFile("virus.xlsx", b"MZ" + b"\x00" * 100)})
    assert response.status_code == 400
    assert "no es una hoja de cálculo" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_another_users_job_is_not_shown(client, db):
    owner = user_with_role("Administrador")
    job = importing.start_import(actor=owner, upload=SimpleUploadedFile("c.xlsx", xlsx([company()])))
    other = user_with_role("Ventas")
    other.user_permissions.add(Permission.objects.get(codename="import_customer"))
    client.force_login(other)
    assert client.get(reverse("customers:import_detail", args=[job.pk])).status_code == 404


def test_a_large_file_runs_in_the_background_with_progress(client, db, settings):
    settings.IMPORT_INLINE_MAX_BYTES = 10
    admin = user_with_role("Administrador")
    client.force_login(admin)
    response = client.post(IMPORT, {"archivo": SimpleUploadedFile("c.xlsx", xlsx([company(), company()]))})
    job = ImportJob.objects.get()
    assert job.status == "pendiente"
    (queued,) = task_backends["default"].results
    assert queued.task.name == "preview_import" and queued.args == [] and queued.kwargs == {"job_id": job.pk}
    page = client.get(response.url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in page and "Puede salir de esta página" in page
    importing.preview_import(job.pk)
    client.post(reverse("customers:import_confirm", args=[job.pk]), {"modo": "todo"})
    assert ImportJob.objects.get().status == "en_cola"
    assert task_backends["default"].results[-1].task.name == "run_import"
    importing.run_import(job.pk)
    job.refresh_from_db()
    assert (job.status, job.created, job.rows_done, job.rows_total) == ("terminada", 2, 2, 2)


def test_excel_export_beyond_a_worksheets_rows_asks_for_csv_instead(client, db, monkeypatch):
    from customers import xlsx_stream

    monkeypatch.setattr(xlsx_stream, "MAX_DATA_ROWS", 2)
    for name in ("Uno S.A.C.", "Dos S.A.C.", "Tres S.A.C."):
        make_company(business_name=name)
    client.force_login(user_with_role("Ventas"))
    response = client.get(f"{EXPORT}?formato=xlsx&tipo=empresa")
    assert response.status_code == 302
    assert response.url == reverse("customers:list") + "?tipo=empresa"
    page = client.get(response.url).content.decode()
    assert "máximo de filas de una hoja de Excel" in page and "descárguela en CSV" in page
    # Within the limit the file comes as before.
    response = client.get(f"{EXPORT}?formato=xlsx&q=uno")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.max_row == 2


@pytest.mark.parametrize("formato", ["csv", "xlsx"])
def test_the_downloaded_file_is_named_for_its_day(client, db, formato, settings):
    # 23:30 in Lima is already the next day in UTC: the name says Lima's day.
    from datetime import UTC, datetime

    from django.utils import timezone

    make_company()
    client.force_login(user_with_role("Ventas"))
    moment = datetime(2026, 12, 3, 4, 30, tzinfo=UTC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: moment)
        response = client.get(f"{EXPORT}?formato={formato}")
    assert response["Content-Disposition"] == f'attachment; filename="clientes-2026-12-02.{formato}"'


def _more_options(html: str) -> str:
    return re.search(r'<div class="dropdown ms-auto" id="list-more">.*?</ul>', html, re.S).group(0)


def test_a_list_that_matches_nothing_offers_no_download_and_says_why(client, db):
    make_company(business_name="Gloria S.A.")
    client.force_login(user_with_role("Ventas"))
    menu = _more_options(client.get(reverse("customers:list") + "?q=zzzz").content.decode())
    assert f'href="{EXPORT}' not in menu
    assert re.search(r'<span class="dropdown-item disabled" id="export-csv"[^>]*>Descargar CSV</span>', menu)
    assert re.search(r'<span class="dropdown-item disabled" id="export-xlsx"[^>]*>Descargar Excel</span>', menu)
    assert "No hay clientes que descargar con esta búsqueda." in menu
    # The same list with a customer in it: both downloads, with the search.
    menu = _more_options(client.get(reverse("customers:list") + "?q=gloria").content.decode())
    assert f'href="{EXPORT}?q=gloria&amp;formato=csv"' in menu
    assert f'href="{EXPORT}?q=gloria&amp;formato=xlsx"' in menu
    assert "No hay clientes que descargar" not in menu


def test_an_empty_list_without_a_search_says_so_without_naming_one(client, db):
    client.force_login(user_with_role("Ventas"))
    menu = _more_options(client.get(reverse("customers:list")).content.decode())
    assert "No hay clientes que descargar." in menu and f'href="{EXPORT}' not in menu


@pytest.mark.parametrize("formato", ["csv", "xlsx"])
def test_the_export_of_a_list_that_matches_nothing_answers_on_the_list_not_with_titles_only(client, db, formato):
    make_company(business_name="Gloria S.A.")
    client.force_login(user_with_role("Ventas"))
    response = client.get(f"{EXPORT}?q=zzzz&formato={formato}")
    assert response.status_code == 302
    assert response.url == reverse("customers:list") + "?q=zzzz"
    page = client.get(response.url).content.decode()
    assert page.count("No hay clientes que descargar con esta búsqueda.") == 2  # the message and the menu
