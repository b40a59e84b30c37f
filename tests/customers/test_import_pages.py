"""What the import's pages tell a person at each step: what confirming will do, what to do with
the rows with errors, when it finished, and a history that does not read a preview as a result."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from customers import importing
from customers.models import ImportJob
from tests.customers.test_import import company, xlsx
from tests.factories import make_company
from tests.roles import user_with_role

IMPORT = reverse("customers:import")


@pytest.fixture
def admin(client, db):
    user = user_with_role("Administrador")
    client.force_login(user)
    return user


def _upload(client, rows, name="clientes.xlsx") -> tuple[ImportJob, str]:
    response = client.post(IMPORT, {"archivo": SimpleUploadedFile(name, xlsx(rows))})
    job = ImportJob.objects.get(file_name=name)
    return job, _text(client.get(response.url).content.decode())


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_preview_says_what_confirming_will_do(client, admin):
    existing = make_company(business_name="Antigua S.A.C.")
    rows = [company(name=f"Empresa {n} S.A.") for n in range(2)]
    rows.append(company(ruc=existing.document_number, name="Nueva S.A.C."))
    _, page = _upload(client, rows)
    assert "Al importar se crearán 2 clientes y se actualizará 1." in page
    assert "Todo o nada : si una fila no se puede guardar, no se guarda ninguna" in page


def test_the_preview_of_a_file_with_errors_says_what_happens_to_them(client, admin):
    _, page = _upload(client, [company(), company(ruc="12345678901"), company(ruc="20ABC")])
    assert "Al importar se creará 1 cliente." in page
    assert "2 filas con errores (lista abajo) no se importan: puede descargarlas, corregirlas y subirlas de nuevo." in (
        page
    )


def test_a_file_with_nothing_to_import_says_why_the_button_is_off(client, admin):
    _, page = _upload(client, [company(ruc="12345678901")])
    assert (
        "No hay filas que importar: corrija los errores de la lista de abajo en su archivo y súbalo de nuevo." in page
    )


def test_the_result_says_when_it_finished_and_what_to_do_with_rejected_rows(client, admin):
    job, _ = _upload(client, [company(), company(ruc="12345678901")])
    client.post(reverse("customers:import_confirm", args=[job.pk]), {"modo": "validas"})
    job.refresh_from_db()
    page = _text(client.get(reverse("customers:import_detail", args=[job.pk])).content.decode())
    finished = timezone.localtime(job.finished_at)  # Lima
    assert f"Importación terminada el {finished:%d/%m/%Y} a las {finished:%H:%M}." in page
    assert (
        "1 fila no se importó: descargue el archivo de filas con errores, corríjala ahí mismo y súbalo de nuevo."
        in page
    )


def test_the_history_shows_no_counts_for_an_import_not_yet_run_and_a_way_to_confirm_it(client, admin):
    job, _ = _upload(client, [company(), company()])
    html = client.get(IMPORT).content.decode()
    row = _text(re.search(r'<table[^>]*id="import-history".*?</table>', html, re.S).group(0))
    assert "Vista previa lista Revisar y confirmar — — 0" in row
    assert "2 por crear, 0 por actualizar" in row  # the phone's summary under the file name
    assert reverse("customers:import_detail", args=[job.pk]) in html


def test_the_history_counts_no_errors_for_a_refused_file(client, admin, settings):
    # Its rows were never all read: «0 con errores» would read as a file without mistakes.
    settings.IMPORT_MAX_ROWS = 1
    job, _ = _upload(client, [company(), company()])
    assert job.status == ImportJob.Status.REFUSED
    html = client.get(IMPORT).content.decode()
    row = _text(re.search(r'<table[^>]*id="import-history".*?</table>', html, re.S).group(0))
    assert "Archivo rechazado — — —" in row


@pytest.mark.parametrize(
    ("status", "done", "total", "told"),
    [
        ("revisando", 2, 2, "2 filas revisadas."),
        ("revisando", 1, 2, "1 fila revisada."),
        ("importando", 0, 2, "Guardando 2 filas: se guardan todas juntas, al final."),
        ("importando", 0, 1, "Guardando 1 fila."),
        ("importando", 1, 2, "1 de 2 filas guardadas."),
    ],
)
def test_the_progress_says_what_is_being_done(client, transactional_db, reference_data, status, done, total, told):
    client.force_login(user_with_role("Administrador"))
    job, _ = _upload(client, [company(), company()])
    assert job.error_rows == 0
    ImportJob.objects.filter(pk=job.pk).update(status=status, rows_done=done, rows_total=total)
    worker = connection.copy()  # the process at work holds the job's lock
    try:
        with worker.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [importing._LOCK_CLASS, job.pk])
        page = _text(client.get(reverse("customers:import_detail", args=[job.pk])).content.decode())
    finally:
        worker.close()
    assert f"{told} Puede salir de esta página y volver: la importación sigue." in page


def test_the_rejected_rows_download_is_named_after_the_uploaded_file(client, admin):
    # The report is saved at the preview and again at the import: storage made the second name
    # unique («…-errores_CfEk35E.xlsx») and turned spaces into «_».
    job, _ = _upload(client, [company(), company(ruc="12345678901")], name="CLIENTES 2015.xlsx")
    client.post(reverse("customers:import_confirm", args=[job.pk]), {"modo": "validas"})
    response = client.get(reverse("customers:import_report", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="CLIENTES 2015-errores.xlsx"'


def test_a_file_name_with_control_characters_is_kept_without_them(admin):
    # A browser may send a name percent-encoded (filename*=UTF-8''…) with a line break in it: the
    # pages, the notes and the rejected rows' download header get it without.
    upload = SimpleUploadedFile("CLIENTES\r\n2015\x00.xlsx", xlsx([company()]))
    job = importing.start_import(actor=admin, upload=upload)
    assert job.file_name == "CLIENTES 2015.xlsx"
    assert importing.report_file_name(job) == "CLIENTES 2015-errores.xlsx"


@pytest.mark.parametrize("name", ["😀", "「clientes」", "$$$"])
def test_a_file_named_without_letters_or_extension_is_taken_under_its_own_name(client, admin, name):
    # Storage keeps only letters, digits, «-», «_» and «.» of a name: of these, nothing. The
    # upload is not a «Solicitud no válida»; the pages and notes keep the name as it came.
    job, _ = _upload(client, [company(), company(ruc="12345678901")], name=name)
    assert job.file_name == name and job.status == "lista"
    client.post(reverse("customers:import_confirm", args=[job.pk]), {"modo": "validas"})
    job.refresh_from_db()
    assert (job.status, job.created) == ("terminada", 1)
    response = client.get(reverse("customers:import_report", args=[job.pk]))
    assert response.status_code == 200
