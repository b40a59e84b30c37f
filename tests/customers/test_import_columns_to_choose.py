"""A file with titles and rows none of whose columns was recognized (another system's export,
titles nobody would guess) goes to the mapping step («Columnas por elegir») instead of being
refused: its columns are kept with sample values, nothing can be imported until its owner says
what each column is, and then the preview runs as after any mapping. Files with nothing to map
stay refused."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers import importing
from customers.models import Customer, ImportJob, ImportMapping, ImportStagedRow
from tests.customers.test_import import xlsx
from tests.customers.test_import_page_states import _upload
from tests.customers.test_import_pages import _text
from tests.roles import user_with_role

IMPORT = reverse("customers:import")
# Titles no rule recognizes, over values no guess reads as customer data.
HEADERS = ["Col A", "Col B", "Col C"]


def rows(count=2):
    return [[f"Rosa Elena {i}", f"Quispe Mamani {i}", f"Nota {i}"] for i in range(count)]


def unrecognized(count=2) -> bytes:
    return xlsx(rows(count), headers=HEADERS)


@pytest.fixture
def admin(client, db):
    user = user_with_role("Administrador")
    client.force_login(user)
    return user


def upload(client, content: bytes, name="otro-sistema.xlsx") -> tuple[ImportJob, str]:
    return _upload(client, content, name=name)


def mapping_post(job, chosen: dict) -> dict:
    return {f"col_{i}": chosen.get(c["header"], "") for i, c in enumerate(job.columns)}


def test_a_file_with_no_column_recognized_waits_for_its_columns(client, admin):
    job, _ = upload(client, unrecognized())
    assert job.status == ImportJob.Status.MAPPING
    assert [c["header"] for c in job.columns] == HEADERS
    assert all(c["key"] == "" for c in job.columns)
    assert job.columns[0]["samples"] == ["Rosa Elena 0", "Rosa Elena 1"]
    assert (job.to_create, job.to_update, job.unchanged, job.error_rows, job.rows_total) == (0, 0, 0, 0, 0)
    assert not job.error_report and not ImportStagedRow.objects.exists()


def test_the_job_page_asks_what_each_column_is_and_offers_no_import(client, admin):
    job, html = upload(client, unrecognized())
    page = _text(html)
    assert "Columnas por elegir" in page
    assert "No se reconoció ninguna columna de clientes, ni por su título ni por sus datos." in page
    assert "Diga abajo qué dato es cada columna" in page
    assert 'id="import-columns" open' in html
    assert "(ninguna reconocida, 3 ignoradas)" in page
    assert "Ej.: Rosa Elena 0 · Rosa Elena 1" in page
    # No preview to confirm: no counts, no mode, no Importar, no polling.
    assert 'id="import-confirm"' not in html and 'id="import-counts"' not in html
    assert 'name="modo"' not in html and "hx-trigger" not in html
    assert 'id="import-refused-next"' not in html


def test_applying_the_columns_runs_the_preview_and_remembers_them(client, admin):
    job, _ = upload(client, unrecognized())
    chosen = {"Col A": "first_names", "Col B": "last_names"}
    response = client.post(reverse("customers:import_columns", args=[job.pk]), mapping_post(job, chosen), follow=True)
    assert "Columnas aplicadas: la vista previa ya las usa." in response.content.decode()
    job.refresh_from_db()
    assert (job.status, job.to_create, job.error_rows, job.message) == ("lista", 2, 0, ""), job.errors
    assert ImportMapping.objects.get().mapping == {**chosen, "Col C": ""}

    # The next file with these titles is read with them: a preview at once.
    second, _ = upload(client, unrecognized(3), name="otra-vez.xlsx")
    assert (second.status, second.to_create) == ("lista", 3)


def test_a_mapping_that_names_no_customer_is_refused_and_the_job_still_waits(client, admin):
    job, _ = upload(client, unrecognized())
    with pytest.raises(ValidationError, match="Elija al menos la columna del número de documento"):
        importing.choose_columns(actor=admin, job=job, mapping={"Col A": "business_line", "Col B": "", "Col C": ""})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPING

    response = client.post(reverse("customers:import_columns", args=[job.pk]), mapping_post(job, {}), follow=True)
    assert "Elija al menos la columna del número de documento" in _text(response.content.decode())
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPING


def test_a_job_waiting_for_its_columns_cannot_be_confirmed(client, admin):
    job, _ = upload(client, unrecognized())
    with pytest.raises(ValidationError, match="ya no está lista"):
        importing.confirm_import(actor=admin, job=job, mode="validas")
    response = client.post(reverse("customers:import_confirm", args=[job.pk]), {"modo": "validas"}, follow=True)
    assert "ya no está lista" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPING and not Customer.objects.exists()


def test_only_the_owner_chooses_the_columns(client, admin):
    job, _ = upload(client, unrecognized())
    other = user_with_role("Administrador")
    client.force_login(other)
    page = client.get(reverse("customers:import_detail", args=[job.pk])).content.decode()
    assert "Quien subió el archivo debe decir qué dato es cada columna" in _text(page)
    assert 'id="import-columns-form"' not in page
    response = client.post(
        reverse("customers:import_columns", args=[job.pk]), mapping_post(job, {"Col A": "first_names"})
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        importing.choose_columns(actor=other, job=job, mapping={"Col A": "first_names", "Col B": "last_names"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPING


def test_choosing_columns_needs_the_import_permission(client, admin):
    job, _ = upload(client, unrecognized())
    client.force_login(user_with_role("Ventas"))
    response = client.post(
        reverse("customers:import_columns", args=[job.pk]), mapping_post(job, {"Col A": "first_names"})
    )
    assert response.status_code == 403
    assert client.get(reverse("customers:import_detail", args=[job.pk])).status_code == 403


def test_the_history_offers_the_owner_to_choose_the_columns(client, admin):
    job, _ = upload(client, unrecognized())
    history = client.get(IMPORT).content.decode()
    row = re.search(r"<tr>(?:(?!</tr>).)*otro-sistema\.xlsx.*?</tr>", history, re.S)
    text = _text(row.group(0))
    assert "Columnas por elegir" in text and "Elegir columnas" in text
    assert f'href="{reverse("customers:import_detail", args=[job.pk])}">Elegir columnas</a>' in row.group(0)


def test_a_job_waiting_for_its_columns_is_not_reaped(admin):
    job = importing.start_import(actor=admin, upload=SimpleUploadedFile("x.xlsx", unrecognized()))
    job = importing.preview_import(job.pk)
    assert importing.reap_if_dead(job).status == ImportJob.Status.MAPPING
    importing.reap_dead_jobs()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPING


def test_files_with_nothing_to_map_stay_refused(admin):
    job = importing.start_import(actor=admin, upload=SimpleUploadedFile("x.xlsx", xlsx([], headers=HEADERS)))
    job = importing.preview_import(job.pk)  # titles only
    assert job.status == ImportJob.Status.REFUSED
    assert "Ponga en la primera fila los títulos de la plantilla" in job.message
    assert job.columns == []


@pytest.mark.parametrize(
    "content",
    [
        xlsx([["Juan Carlos", "Pérez Soto", "16/03/2024"]], headers=["Rosa Elena", "Quispe Mamani", "15/03/2024"]),
        xlsx([["Juan Carlos", "Pérez Soto", "b"]], headers=["Rosa Elena", "Quispe Mamani", "rosa@quispe.pe"]),
    ],
    ids=["first-row-date", "first-row-email"],
)
def test_a_list_without_titles_waits_for_its_columns_with_its_first_row_as_data(admin, content):
    # A list with no title row: its first row is a customer (a date, an e-mail: no title), kept
    # as row 1 (tests/customers/test_import_untitled.py).
    job = importing.start_import(actor=admin, upload=SimpleUploadedFile("x.xlsx", content))
    job = importing.preview_import(job.pk)
    assert job.status == ImportJob.Status.MAPPING
    assert [c["header"] for c in job.columns] == ["Columna A", "Columna B", "Columna C"]
    assert job.columns[0]["samples"] == ["Rosa Elena", "Juan Carlos"]
    assert job.warnings == [importing.untitled_warning(1)]


def test_the_admin_import_refuses_such_a_file_and_says_where_columns_can_be_chosen(client, admin):
    from tests.customers.test_import_admin import upload as admin_upload

    page = _text(admin_upload(client, unrecognized()).content.decode())
    assert "No se reconoció ninguna columna de clientes" in page
    assert "En Clientes › Importar también puede decir qué dato es cada columna." in page
    assert not Customer.objects.exists()


def test_a_large_file_checked_in_the_background_lands_on_the_columns_while_the_page_polls(client, admin, settings):
    settings.IMPORT_INLINE_MAX_BYTES = 10  # the task worker checks it
    job, html = upload(client, unrecognized())
    assert job.status == ImportJob.Status.PENDING and "hx-trigger" in html
    job = importing.preview_import(job.pk)  # the worker's turn
    partial = client.get(reverse("customers:import_detail", args=[job.pk]), headers={"HX-Request": "true"})
    partial = partial.content.decode()
    assert "Columnas por elegir" in partial and 'id="import-columns-form"' in partial
    assert "hx-trigger" not in partial  # nothing runs: the polling stops

    # The columns applied: the file is checked again in the background, the page polls again.
    chosen = {"Col A": "first_names", "Col B": "last_names"}
    response = client.post(reverse("customers:import_columns", args=[job.pk]), mapping_post(job, chosen), follow=True)
    assert "Columnas aplicadas: el archivo se revisa de nuevo con ellas." in response.content.decode()
    assert "hx-trigger" in response.content.decode()
    job = importing.preview_import(job.pk)
    assert (job.status, job.to_create) == ("lista", 2)
