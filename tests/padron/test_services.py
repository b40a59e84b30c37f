import io
import zipfile
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tasks_db.models import DBTaskResult

from customers.models import CustomerNote
from padron import loading, queries, reader, services, tasks
from padron.models import PadronLoad
from padron.sample import generate_lines, padron_line, write_padron
from peru import lost_tasks
from tests.factories import make_company
from tests.padron.conftest import ALICORP, GLORIA, PERSON, standard_lines

pytestmark = pytest.mark.django_db


def load(path, **options):
    return services.load_path(str(path), **options)


def test_a_load_fills_the_padron_and_becomes_the_one_in_use(padron_path):
    done = load(padron_path(), file_date=date(2026, 11, 28))
    assert done.status == PadronLoad.Status.DONE
    assert done.is_current and done.taxpayer_count == 3 and done.lines_read == 4
    assert done.message == "Padrón del 28/11/2026 cargado: 3 RUC."
    gloria = queries.find_taxpayer(GLORIA)
    assert gloria.name == "GLORIA S A"
    assert (gloria.status, gloria.condition, gloria.ubigeo) == ("ACTIVO", "HABIDO", "150115")
    assert gloria.street == "AV. REPUBLICA DE PANAMA NRO. 2461 URB. SANTA CATALINA"
    assert queries.find_taxpayer(PERSON).street == "MZA. C LOTE. 5 P.J. SANTA ROSA"


def test_a_reload_replaces_the_padron_whole(padron_path):
    first = load(padron_path(), file_date=date(2026, 11, 1))
    second = load(
        padron_path([padron_line(GLORIA, "GLORIA SOCIEDAD ANONIMA")], name="otro.txt"), file_date=date(2026, 11, 28)
    )
    first.refresh_from_db()
    assert not first.is_current and second.is_current
    assert queries.find_taxpayer(GLORIA).name == "GLORIA SOCIEDAD ANONIMA"
    assert queries.find_taxpayer(ALICORP) is None
    assert queries.current_load() == second
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('padron_taxpayer_old'), to_regclass('padron_taxpayer_new')")
        assert cursor.fetchone() == (None, None)
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'padron_taxpayer' ORDER BY 1")
        assert [row[0] for row in cursor.fetchall()] == ["padron_taxpayer_name_idx", "padron_taxpayer_pkey"]


def test_bad_lines_are_reported_and_the_good_ones_loaded(padron_path):
    lines = [*standard_lines(), *generate_lines(40, seed=3)]
    lines[5] = padron_line(GLORIA[:-1] + "1", "DIGITO MALO")
    lines[9] = "20100070970|CORTADA|"
    done = load(padron_path(lines))
    assert done.status == PadronLoad.Status.DONE
    assert done.taxpayer_count == 41 and done.rows_rejected == 2
    assert done.rejected_by_reason == {reader.CHECK_DIGIT: 1, reader.FIELD_COUNT: 1}
    assert [sample[0] for sample in done.rejected_samples] == [7, 11]
    assert "2 líneas rechazadas" in done.message


def test_a_utf8_file_loads_with_its_accents(padron_path):
    load(padron_path(encoding="utf-8"))
    assert queries.find_taxpayer(PERSON).name == "QUISPE MUÑOZ ROSA ELENA"


def test_a_ruc_on_two_lines_keeps_the_last(padron_path):
    lines = [*standard_lines(), padron_line(GLORIA, "GLORIA NUEVA")]
    done = load(padron_path(lines))
    assert done.duplicates == 1 and done.taxpayer_count == 3
    assert queries.find_taxpayer(GLORIA).name == "GLORIA NUEVA"
    assert "1 líneas repetían un RUC" in done.message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"nombre;correo\nAna;ana@example.pe\n", "no es el padrón reducido del RUC"),
        (None, "incompleto"),
        (b"RUC|NOMBRE O RAZON SOCIAL|ESTADO|CONDICION|\n" + b"x|y|z|w|\n" * 20, "ninguna línea válida"),
    ],
    ids=["not-a-padron", "truncated", "no-good-line"],
)
def test_a_file_that_is_not_the_padron_leaves_the_previous_in_use(padron_path, tmp_path, content, message):
    previous = load(padron_path(), file_date=date(2026, 11, 1))
    bad = tmp_path / "malo.txt"
    if content is None:
        full = io.BytesIO()
        write_padron(full, list(generate_lines(50)))
        content = full.getvalue()[:-40]
    bad.write_bytes(content)
    failed = load(bad)
    assert failed.status == PadronLoad.Status.FAILED
    assert message in failed.message and "Se sigue usando el padrón anterior" in failed.message
    assert queries.current_load() == previous
    assert queries.find_taxpayer(GLORIA).name == "GLORIA S A"
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('padron_taxpayer_new')")
        assert cursor.fetchone() == (None,)


def test_a_file_mostly_of_bad_lines_is_not_taken_for_the_padron(padron_path):
    lines = [*standard_lines(), *["20100070970|MAL|"] * 5]
    failed = load(padron_path(lines))
    assert failed.status == PadronLoad.Status.FAILED
    assert "5 de 8 líneas no son del padrón" in failed.message
    assert queries.current_load() is None


def test_a_zip_with_other_files_is_refused_and_nothing_changes(padron_path, tmp_path):
    previous = load(padron_path())
    path = tmp_path / "padron.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("padron_reducido_ruc.txt", "x")
        archive.writestr("leeme.txt", "x")
    failed = load(path)
    assert "contiene 2 archivo(s)" in failed.message
    assert queries.current_load() == previous


def test_the_padron_date_is_the_zip_entry_date(padron_path):
    done = load(padron_path(name="padron.zip"))
    assert done.file_date == date.today()


# --- starting from the page, retrying --------------------------------------------------------


def upload(name="padron_reducido_ruc.zip", lines=None):
    buffer = io.BytesIO()
    write_padron(buffer, standard_lines() if lines is None else lines, as_zip=name.endswith(".zip"))
    return SimpleUploadedFile(name, buffer.getvalue())


def test_an_upload_is_stored_and_queued(
    administrador, tasks_backend, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.start_load(actor=administrador, upload=upload())
    assert queued.status == PadronLoad.Status.QUEUED and queued.source == PadronLoad.Source.UPLOAD
    assert (tmp_path / queued.file_name).is_file()
    assert [r.kwargs for r in tasks_backend.results] == [{"load_id": queued.pk}]
    done = loading.run_load(queued.pk)
    assert done.status == PadronLoad.Status.DONE and done.taxpayer_count == 3
    assert not (tmp_path / queued.file_name).exists()  # an upload is deleted once loaded


def test_only_who_may_load_the_padron_can_start_a_load(ventas):
    with pytest.raises(PermissionDenied):
        services.start_load(actor=ventas, upload=upload())


def test_an_upload_that_is_not_a_zip_or_txt_is_refused(administrador):
    with pytest.raises(ValidationError, match="no es el padrón"):
        services.start_load(actor=administrador, upload=SimpleUploadedFile("clientes.xlsx", b"PK"))


def test_one_load_at_a_time(administrador, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    services.start_load(actor=administrador, upload=upload())
    with pytest.raises(ValidationError, match="Ya hay una carga del padrón en curso"):
        services.start_load(actor=administrador, upload=upload())


def test_a_file_already_in_storage_can_be_loaded(administrador, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "padron").mkdir()
    write_padron(tmp_path / "padron" / "padron_reducido_ruc.zip", standard_lines())
    assert services.stored_files() == ["padron/padron_reducido_ruc.zip"]
    queued = services.start_load(actor=administrador, storage_name="padron/padron_reducido_ruc.zip")
    assert loading.run_load(queued.pk).status == PadronLoad.Status.DONE
    assert (tmp_path / "padron" / "padron_reducido_ruc.zip").exists()  # not ours to delete


def test_a_name_outside_the_padron_folder_is_refused(administrador, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError):
        services.start_load(actor=administrador, storage_name="../../etc/passwd")


def test_an_interrupted_load_can_be_retried(administrador, settings, tmp_path, tasks_backend):
    """A worker killed mid-load leaves its PadronLoad RUNNING with nobody holding the lock."""
    settings.MEDIA_ROOT = tmp_path
    queued = services.start_load(actor=administrador, upload=upload())
    PadronLoad.objects.filter(pk=queued.pk).update(status=PadronLoad.Status.RUNNING)
    queued.refresh_from_db()
    assert queries.is_interrupted(queued)
    retried = services.retry_load(actor=administrador, load=queued)
    assert retried.status == PadronLoad.Status.QUEUED
    assert loading.run_load(retried.pk).status == PadronLoad.Status.DONE


def test_a_running_load_cannot_be_retried(administrador, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    queued = services.start_load(actor=administrador, upload=upload())
    PadronLoad.objects.filter(pk=queued.pk).update(status=PadronLoad.Status.RUNNING)
    with loading._load_lock():
        assert not queries.is_interrupted(PadronLoad.objects.get(pk=queued.pk))
        with pytest.raises(ValidationError, match="sigue en curso"):
            services.retry_load(actor=administrador, load=queued)


# --- customers' estado and condición ------------------------------------------------------------


def test_the_refresh_updates_customers_with_history_and_a_note(padron_path):
    alicorp = make_company(document_number=ALICORP, registry_status="ACTIVO", registry_condition="HABIDO")
    gloria = make_company(document_number=GLORIA, registry_status="ACTIVO", registry_condition="HABIDO")
    done = load(padron_path(), file_date=date(2026, 11, 28))
    assert loading.refresh_customers(load_id=done.pk) == 1
    alicorp.refresh_from_db()
    assert (alicorp.registry_status, alicorp.registry_condition) == ("BAJA DE OFICIO", "NO HABIDO")
    assert alicorp.registry_checked_at.date() == date(2026, 11, 28)
    note = alicorp.notes.get()
    assert note.kind == CustomerNote.Kind.PADRON
    assert note.text == (
        "Padrón SUNAT del 28/11/2026: estado BAJA DE OFICIO (antes ACTIVO), condición NO HABIDO (antes HABIDO)"
    )
    # (history_date is the transaction's now(): in a test, earlier than the factory's record)
    record = alicorp.history.get(history_type="~")
    assert record.registry_status == "BAJA DE OFICIO" and record.history_change_reason == "Padrón SUNAT del 28/11/2026"
    assert not gloria.notes.exists()  # nothing changed for Gloria
    done.refresh_from_db()
    assert done.customers_updated == 1


def test_the_refresh_fills_customers_never_looked_up(padron_path):
    gloria = make_company(document_number=GLORIA)
    done = load(padron_path(), file_date=date(2026, 11, 28))
    loading.refresh_customers(load_id=done.pk)
    gloria.refresh_from_db()
    assert (gloria.registry_status, gloria.registry_condition) == ("ACTIVO", "HABIDO")
    assert gloria.notes.get().text == "Padrón SUNAT del 28/11/2026: estado ACTIVO, condición HABIDO"


def test_the_refresh_leaves_alone_trash_and_newer_online_lookups(padron_path):
    from django.utils import timezone

    trashed = make_company(document_number=ALICORP, registry_status="ACTIVO", deleted_at=timezone.now())
    newer = make_company(document_number=GLORIA, registry_status="BAJA DEFINITIVA", registry_checked_at=timezone.now())
    done = load(padron_path(), file_date=date(2026, 11, 28))
    assert loading.refresh_customers(load_id=done.pk) == 0
    trashed.refresh_from_db()
    newer.refresh_from_db()
    assert trashed.registry_status == "ACTIVO" and newer.registry_status == "BAJA DEFINITIVA"


def test_a_replaced_load_refreshes_nothing(padron_path):
    make_company(document_number=ALICORP)
    first = load(padron_path(), file_date=date(2026, 11, 1))
    load(padron_path(name="b.txt"), file_date=date(2026, 11, 2))
    assert loading.refresh_customers(load_id=first.pk) == 0


def test_a_successful_load_queues_the_refresh(padron_path, tasks_backend, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        done = load(padron_path())
    assert [r.task.name for r in tasks_backend.results] == ["refresh_customers"]
    assert tasks_backend.results[0].kwargs == {"load_id": done.pk}


def test_retrying_an_interrupted_load_fails_the_task_row_its_killed_worker_left_running(
    administrador, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.start_load(actor=administrador, upload=upload())
    row = DBTaskResult.objects.get()
    row.claim("gone")  # the worker took the task, set the load loading, and was killed
    PadronLoad.objects.filter(pk=queued.pk).update(status=PadronLoad.Status.RUNNING)

    with django_capture_on_commit_callbacks(execute=True):
        services.retry_load(actor=administrador, load=PadronLoad.objects.get(pk=queued.pk))

    row.refresh_from_db()
    assert (row.status, row.exception_class_path) == ("FAILED", lost_tasks.WORKER_LOST)
    assert f"carga del padrón #{queued.pk}" in row.traceback
    assert DBTaskResult.objects.filter(status="READY").count() == 1  # queued again


def test_a_queued_load_whose_worker_died_after_taking_it_is_interrupted(
    administrador, settings, tmp_path, django_capture_on_commit_callbacks
):
    """The worker claimed the task (its row RUNNING) and was killed before it marked the load
    loading: the load stays «En cola» with nothing to run it. It must not block new loads."""
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.start_load(actor=administrador, upload=upload())
    assert not queries.is_interrupted(queued)  # its task waits for a worker
    with pytest.raises(ValidationError, match="Ya hay una carga"):
        services.start_load(actor=administrador, upload=upload())

    row = DBTaskResult.objects.get()
    row.claim("alive")
    with lost_tasks.worker_lock("alive"):
        assert not queries.is_interrupted(queued)  # a live worker is about to load it
    assert queries.is_interrupted(queued)  # that worker is gone

    lost_tasks.fail_tasks(lost_tasks.lost(DBTaskResult.objects.all()), see="")  # a worker's reap
    assert queries.is_interrupted(queued)
    with django_capture_on_commit_callbacks(execute=True):
        other = services.start_load(actor=administrador, upload=upload(name="otro.zip"))
    assert other.status == PadronLoad.Status.QUEUED


def test_a_queued_load_whose_task_was_lost_can_be_retried(
    administrador, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.start_load(actor=administrador, upload=upload())
    DBTaskResult.objects.get().claim("gone")

    with django_capture_on_commit_callbacks(execute=True):
        retried = services.retry_load(actor=administrador, load=queued)

    assert retried.status == PadronLoad.Status.QUEUED and not queries.is_interrupted(retried)
    assert DBTaskResult.objects.filter(status="FAILED").count() == 1
    assert DBTaskResult.objects.filter(status="READY").count() == 1


def test_the_load_task_is_found_by_its_path():
    assert tasks.load_padron.module_path == queries.LOAD_TASK
