"""An office with no internet and no lookup service: with SUNAT's padrón loaded, the lupa
fills a company from its RUC, and a company found by its razón social fills the form too.
The Administrador uploads the padrón and watches it load."""

import io
import re
from datetime import date

import pytest
from django.db import connection
from playwright.sync_api import expect

from padron import services
from padron.sample import generate_lines, write_padron
from tests.browser.conftest import sign_in
from tests.padron.conftest import ALICORP, GLORIA, standard_lines

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/clientes-{}.png"  # noqa: S108  (where CI and people look for them)


@pytest.fixture
def empty_padron(db):
    """Transactional tests keep what they write in padron_taxpayer (no model's table, so the
    flush leaves it): empty it after the test."""
    yield
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE padron_taxpayer")


def test_a_company_is_filled_from_its_ruc_with_only_the_padron(page, reference_data, empty_padron, tmp_path, settings):
    assert settings.LOOKUP_BASE_URL == ""  # no online service
    path = tmp_path / "padron_reducido_ruc.zip"
    write_padron(path, [*standard_lines(), *generate_lines(300, seed=7)])
    services.load_path(str(path), file_date=date(2026, 11, 28))
    sign_in(page, "Ventas", username="vendedora")

    page.goto("/clientes/nuevo/")
    page.get_by_label("Número de documento").fill(GLORIA)
    page.get_by_label("Número de documento").press("Enter")

    status = page.locator("#lookup-status")
    expect(status).to_contain_text(f"RUC {GLORIA}: GLORIA S A — ACTIVO · HABIDO")
    expect(status).to_contain_text("Fuente: padrón reducido del RUC de SUNAT del 28/11/2026")
    expect(page.get_by_label("Razón social")).to_have_value("GLORIA S A")
    expect(page.get_by_label("Calle y número")).to_have_value("AV. REPUBLICA DE PANAMA NRO. 2461 URB. SANTA CATALINA")
    expect(page.get_by_label("Departamento")).to_have_value("15")
    expect(page.get_by_label("Provincia")).to_have_value("1501")
    expect(page.get_by_label("Distrito")).to_have_value("150115")

    # Someone who knows the name, not the RUC.
    page.get_by_text("¿No sabe el RUC? Buscar por razón social").click()
    page.get_by_label("Buscar en el padrón SUNAT por nombre").fill("alicorp")
    page.get_by_role("button", name=re.compile("ALICORP SAA")).click()
    expect(page.get_by_label("Número de documento")).to_have_value(ALICORP)
    expect(page.get_by_label("Razón social")).to_have_value("ALICORP SAA")
    expect(status).to_contain_text("Atención: RUC en estado BAJA DE OFICIO; contribuyente NO HABIDO")
    page.screenshot(path=SCREENSHOTS.format("padron-lupa"), full_page=True)
    page.get_by_label("Giro").fill("Alimentos")
    page.get_by_role("button", name="Guardar").first.click()
    expect(page.get_by_role("heading", name="ALICORP SAA")).to_be_visible()
    expect(page.get_by_text("BAJA DE OFICIO").first).to_be_visible()


def test_the_administrador_uploads_the_padron_and_sees_it_in_use(
    page, reference_data, empty_padron, settings, tmp_path
):
    # The task runs as soon as it is queued (the worker's part), in the request.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    write_padron(buffer, [*standard_lines(), *generate_lines(50), "20100070970|LINEA CORTADA|"], as_zip=True)
    zipped = tmp_path / "padron_reducido_ruc.zip"
    zipped.write_bytes(buffer.getvalue())
    sign_in(page, "Administrador", username="jefa")

    page.goto("/configuracion/")
    page.get_by_role("link", name="Cargar padrón").click()
    expect(page.get_by_text("Aún no hay padrón cargado")).to_be_visible()
    page.get_by_label("Archivo del padrón (.zip o .txt)").set_input_files(str(zipped))
    page.get_by_role("button", name="Cargar padrón").click()

    expect(page.locator("[data-padron-current]")).to_contain_text(f"Padrón del {date.today():%d/%m/%Y} · 53 RUC")
    expect(page.get_by_text("cantidad de campos incorrecta: 1")).to_be_visible()
    page.screenshot(path=SCREENSHOTS.format("padron-cargado"), full_page=True)
