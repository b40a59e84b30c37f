import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from padron import loading, queries, services, tasks
from padron.models import PadronLoad
from padron.sample import padron_line, write_padron
from tests.padron.conftest import GLORIA, standard_lines
from tests.roles import assert_cannot, user_with_role

pytestmark = pytest.mark.django_db

PAGE = "/configuracion/padron/"


def zip_upload(lines=None, name="padron_reducido_ruc.zip"):
    buffer = io.BytesIO()
    write_padron(buffer, standard_lines() if lines is None else lines, as_zip=True)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_the_page_url_is_under_configuracion():
    assert reverse("padron:page") == PAGE


@pytest.mark.parametrize("role", ["Ventas", "Créditos", "Consulta"])
def test_only_the_administrador_opens_the_page(client, role):
    assert_cannot(client, role, "get", PAGE)
    assert_cannot(client, role, "get", reverse("padron:status"))


@pytest.mark.parametrize("role", ["Ventas", "Consulta"])
def test_only_the_administrador_uploads(client, role, media):
    assert_cannot(client, role, "post", PAGE, {"file": zip_upload()})
    assert not PadronLoad.objects.exists()


def test_without_a_padron_the_page_says_so(client, administrador):
    client.force_login(administrador)
    page = client.get(PAGE).content.decode()
    assert "Aún no hay padrón cargado" in page
    assert "www.sunat.gob.pe" in page


def test_an_upload_queues_the_load_and_the_page_polls_its_progress(
    client, administrador, media, tasks_backend, django_capture_on_commit_callbacks
):
    client.force_login(administrador)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PAGE, {"file": zip_upload()})
    assert response.status_code == 302
    load = PadronLoad.objects.get()
    assert tasks_backend.results[0].kwargs == {"load_id": load.pk}
    status = client.get(reverse("padron:status")).content.decode()
    assert 'hx-trigger="every 1s"' in status and "En cola" in status


def test_the_progress_shows_lines_of_the_estimated_total_and_rejections(client, administrador, media):
    load = PadronLoad.objects.create(
        source=PadronLoad.Source.UPLOAD,
        file_name="padron/x.zip",
        original_name="padron_reducido_ruc.zip",
        status=PadronLoad.Status.RUNNING,
        bytes_total=1000,
        bytes_read=250,
        lines_read=2_500_000,
        rows_loaded=2_499_990,
        rows_rejected=10,
        rejected_by_reason={"dígito verificador del RUC incorrecto": 10},
        rejected_samples=[[1234, "dígito verificador del RUC incorrecto", "20100070971|X|"]],
    )
    client.force_login(administrador)
    with loading._load_lock():  # the worker holds it while it loads
        status = client.get(reverse("padron:status")).content.decode()
    assert 'value="25" max="100"' in status
    assert "2,500,000 de unas 10,000,000" in status
    assert "dígito verificador del RUC incorrecto: 10" in status
    assert "1,234" in status and "20100070971|X|" in status
    assert 'hx-trigger="every 1s"' in status
    assert load.pk


def test_an_interrupted_load_offers_a_retry_and_stops_polling(client, administrador, media):
    load = PadronLoad.objects.create(
        source=PadronLoad.Source.UPLOAD,
        file_name="padron/x.zip",
        original_name="x.zip",
        status=PadronLoad.Status.RUNNING,
    )
    client.force_login(administrador)
    status = client.get(reverse("padron:status")).content.decode()
    assert "La carga se interrumpió" in status
    assert reverse("padron:retry", args=[load.pk]) in status
    assert "every 1s" not in status


def test_a_queued_load_whose_task_was_lost_offers_a_retry(client, administrador, media, settings):
    """Its worker took the task and died before loading: «En cola» for ever, unless told."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    load = PadronLoad.objects.create(source=PadronLoad.Source.UPLOAD, file_name="padron/x.zip", original_name="x.zip")
    DBTaskResult.objects.get(pk=tasks.load_padron.enqueue(load_id=load.pk).id).claim("gone")
    client.force_login(administrador)
    status = client.get(reverse("padron:status")).content.decode()
    assert "La carga se interrumpió" in status and "En cola:" not in status
    assert reverse("padron:retry", args=[load.pk]) in status
    assert "every 1s" not in status


def test_a_failed_load_shows_its_message(client, administrador, padron_path):
    bad = padron_path(["x|y|"] * 3, name="malo.txt")
    bad.write_bytes(b"hola\nmundo\n")
    failed = services.load_path(str(bad))
    client.force_login(administrador)
    page = client.get(PAGE).content.decode()
    assert "no es el padrón reducido del RUC" in page
    assert reverse("padron:retry", args=[failed.pk]) in page


def test_the_page_shows_the_padron_in_use(client, administrador, padron_path):
    services.load_path(str(padron_path()), file_date=date(2026, 11, 28))
    client.force_login(administrador)
    page = client.get(PAGE).content.decode()
    assert "Padrón del <strong>28/11/2026</strong> · 3 RUC" in page


def test_the_page_lists_the_loads_with_their_outcome(client, administrador, padron_path):
    services.load_path(str(padron_path()), file_date=date(2026, 11, 21))
    services.load_path(str(padron_path(["x|y|"] * 3, name="malo.txt")))
    services.load_path(str(padron_path()), file_date=date(2026, 11, 28))
    client.force_login(administrador)
    page = client.get(PAGE).content.decode()
    history = page[page.index("data-padron-history") :]
    assert history.count("<tr>") == 4  # the header and the three loads
    assert "(padrón del 28/11/2026)" in history and "(padrón del 21/11/2026)" in history
    assert "malo.txt" in history and "No se cargó" in history
    assert history.count(">en uso</span>") == 1
    assert history.index("28/11/2026") < history.index("malo.txt") < history.index("21/11/2026")  # newest first


def test_the_admin_lists_loads_read_only_for_the_administrador(client, administrador, padron_path):
    load = services.load_path(str(padron_path()), file_date=date(2026, 11, 28))
    client.force_login(administrador)
    listing = client.get("/admin/padron/padronload/")
    assert listing.status_code == 200
    assert "28 de noviembre de 2026" in listing.content.decode() or "28/11/2026" in listing.content.decode()
    assert client.get("/admin/padron/padronload/add/").status_code == 403
    detail = client.get(f"/admin/padron/padronload/{load.pk}/change/").content.decode()
    assert 'name="_save"' not in detail  # viewable, not changeable
    response = client.post(f"/admin/padron/padronload/{load.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert PadronLoad.objects.filter(pk=load.pk).exists()


@pytest.mark.parametrize("role", ["Ventas", "Consulta"])
def test_only_the_administrador_sees_the_loads_in_the_admin(client, role):
    client.force_login(user_with_role(role))
    response = client.get("/admin/padron/padronload/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_wrong_file_type_is_refused_with_a_message(client, administrador, media):
    client.force_login(administrador)
    response = client.post(PAGE, {"file": SimpleUploadedFile("clientes.xlsx", b"PK\x03\x04")})
    assert response.status_code == 400
    assert "no es el padrón: suba el .zip" in response.content.decode()
    assert not PadronLoad.objects.exists()


def test_posting_nothing_asks_for_a_file(client, administrador, media):
    client.force_login(administrador)
    response = client.post(PAGE, {})
    assert "Suba el archivo del padrón o elija uno ya guardado." in response.content.decode()


def test_retry_by_get_is_not_allowed(client, administrador):
    client.force_login(administrador)
    assert client.get(reverse("padron:retry", args=[1])).status_code == 405


@pytest.mark.parametrize("role", ["Ventas", "Consulta"])
def test_only_the_administrador_retries(client, role, media):
    load = PadronLoad.objects.create(
        source=PadronLoad.Source.UPLOAD, file_name="padron/x.zip", status=PadronLoad.Status.FAILED
    )
    assert_cannot(client, role, "post", reverse("padron:retry", args=[load.pk]))
    load.refresh_from_db()
    assert load.status == PadronLoad.Status.FAILED


def test_the_settings_page_links_to_the_padron_for_the_administrador(client, administrador):
    client.force_login(administrador)
    assert PAGE in client.get(reverse("settings")).content.decode()


# --- name search -------------------------------------------------------------------------------


def test_the_name_search_lists_companies_whose_name_starts_so(client, ventas, padron_path):
    lines = [*standard_lines(), padron_line("20600000005", "GLORIETA DEL SUR E.I.R.L.")]
    services.load_path(str(padron_path(lines)))
    client.force_login(ventas)
    page = client.get(reverse("padron:search"), {"q": "  Glori"}).content.decode()
    assert f'data-padron-pick="{GLORIA}"' in page
    assert 'data-padron-pick="20600000005"' in page
    assert page.index("GLORIA S A") < page.index("GLORIETA")


def test_the_name_search_ignores_accents_and_case(padron_path):
    services.load_path(str(padron_path()))
    assert [t.name for t in queries.search_taxpayers("quispe muñoz")] == ["QUISPE MUÑOZ ROSA ELENA"]
    assert [t.name for t in queries.search_taxpayers("QUISPE MUNOZ")] == ["QUISPE MUÑOZ ROSA ELENA"]


def test_the_name_search_treats_like_wildcards_as_text(padron_path):
    services.load_path(str(padron_path()))
    assert queries.search_taxpayers("%%%") == []
    assert queries.search_taxpayers("gl_ria") == []


def test_the_name_search_asks_for_three_letters(client, ventas):
    client.force_login(ventas)
    page = client.get(reverse("padron:search"), {"q": "gl"}).content.decode()
    assert "al menos 3 letras" in page


def test_the_name_search_is_for_who_creates_or_edits_customers(client):
    assert_cannot(client, "Consulta", "get", reverse("padron:search") + "?q=gloria")


def test_the_name_search_reads_the_name_index_in_order(padron_path):
    """A prefix of the folded name: a range of padron_taxpayer_name_idx, already in name order
    (no sort of every match: «quispe» is hundreds of thousands of lines in the real padrón)."""
    from django.db import connection

    services.load_path(str(padron_path()))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        queries_run = []
        with connection.execute_wrapper(
            lambda execute, sql, params, many, context: (
                queries_run.append((sql, params)) or execute(sql, params, many, context)
            )
        ):
            queries.search_taxpayers("quispe")
        sql, params = queries_run[-1]
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "padron_taxpayer_name_idx" in plan
    assert "Sort" not in plan
