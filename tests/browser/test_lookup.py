"""The lupa in a real browser: a RUC or DNI fills the form from the fake registry
(tests/fake_registry.py, a real HTTP server), and when the service is gone the user gets the
manual-entry message with everything typed still in place."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/clientes-{}.png"  # noqa: S108  (where CI and people look for them)
GLORIA = "20100070970"
SUNAT = "20131312955"


@pytest.fixture
def signed_in(page, reference_data):
    return sign_in(page, "Ventas", username="vendedora", first_name="Lucía", last_name="Flores")


def test_the_lupa_fills_a_ruc_and_a_dead_service_leaves_the_form_as_it_was(signed_in, registry):
    page = signed_in
    registry.add_ruc(
        GLORIA,
        razonSocial="GLORIA S.A.",
        estado="ACTIVO",
        condicion="NO HABIDO",
        direccion="AV. REPUBLICA DE PANAMA NRO. 2461 LIMA LIMA LA VICTORIA",
        ubigeo="150115",
        departamento="LIMA",
        provincia="LIMA",
        distrito="LA VICTORIA",
    )
    page.goto("/clientes/nuevo/")
    page.get_by_label("Número de documento").fill(GLORIA)
    page.get_by_role("button", name="Buscar RUC o DNI").click()

    status = page.locator("#lookup-status")
    expect(status).to_contain_text(f"RUC {GLORIA}: GLORIA S.A. — ACTIVO · NO HABIDO")
    expect(status).to_contain_text("Atención: Contribuyente NO HABIDO")
    expect(page.get_by_label("Razón social")).to_have_value("GLORIA S.A.")
    expect(page.get_by_label("Calle y número")).to_have_value("AV. REPUBLICA DE PANAMA NRO. 2461")
    expect(page.get_by_label("Departamento")).to_have_value("15")
    expect(page.get_by_label("Provincia")).to_have_value("1501")
    expect(page.get_by_label("Distrito")).to_have_value("150115")
    expect(page.get_by_label("Distrito").locator("option:checked")).to_have_text("La Victoria")
    page.screenshot(path=SCREENSHOTS.format("consulta-ruc"), full_page=True)

    # The service goes down; another number (the cache would answer the same one).
    registry.stop()
    page.get_by_label("Giro").fill("Lácteos")
    page.get_by_label("Calle y número").fill("Av. República de Panamá 2461")
    page.get_by_label("Número de documento").fill(SUNAT)
    page.get_by_role("button", name="Buscar RUC o DNI").click()

    expect(status).to_have_text(
        f"No se pudo consultar el RUC {SUNAT} (no hay conexión con el servicio); ingrese los datos manualmente."
    )
    expect(page.get_by_label("Número de documento")).to_have_value(SUNAT)
    expect(page.get_by_label("Razón social")).to_have_value("GLORIA S.A.")
    expect(page.get_by_label("Giro")).to_have_value("Lácteos")
    expect(page.get_by_label("Calle y número")).to_have_value("Av. República de Panamá 2461")
    expect(page.get_by_label("Distrito")).to_have_value("150115")
    page.screenshot(path=SCREENSHOTS.format("consulta-fallida"), full_page=True)

    # Typed by hand, it saves: without the other RUC's estado and condición.
    page.get_by_label("Razón social").fill("Superintendencia Nacional de Aduanas")
    page.get_by_label("Razón social").press("Enter")
    expect(page).to_have_url(re.compile(r"/clientes/\d+/$"))
    customer = Customer.objects.get()
    assert (customer.document_number, customer.registry_status, customer.registry_condition) == (SUNAT, "", "")


def test_enter_in_the_number_looks_up_and_the_estado_is_saved(signed_in, registry):
    page = signed_in
    registry.add_ruc(
        GLORIA,
        razonSocial="GLORIA S.A.",
        estado="BAJA DE OFICIO",
        condicion="HABIDO",
        direccion="AV. LARCO 123",
        ubigeo="150122",
    )
    page.goto("/clientes/nuevo/")
    page.get_by_label("Número de documento").fill(GLORIA)
    page.get_by_label("Número de documento").press("Enter")  # looks up, does not save

    expect(page.get_by_label("Razón social")).to_have_value("GLORIA S.A.")
    expect(page.get_by_label("Distrito")).to_have_value("150122")
    expect(page).to_have_url(re.compile(r"/clientes/nuevo/$"))
    page.get_by_label("Giro").fill("Lácteos")
    page.get_by_label("Giro").press("Enter")  # Enter anywhere else saves

    expect(page).to_have_url(re.compile(r"/clientes/\d+/$"))
    data = page.get_by_role("tabpanel", name="Datos")
    expect(data.get_by_text("BAJA DE OFICIO · HABIDO")).to_be_visible()
    expect(page.locator(".registry-alert").first).to_be_visible()
    page.screenshot(path=SCREENSHOTS.format("resumen-ruc-baja"), full_page=True)
    customer = Customer.objects.get()
    assert (customer.registry_status, customer.registry_condition) == ("BAJA DE OFICIO", "HABIDO")
    assert customer.registry_checked_at is not None
    assert registry.hits() == 1

    # The list marks it too, beside the name.
    page.get_by_role("link", name="Clientes", exact=True).first.click()
    row = page.get_by_role("row").filter(has_text="GLORIA S.A.")
    expect(row.locator(".registry-alert")).to_have_text(re.compile("BAJA DE OFICIO"))
    page.screenshot(path=SCREENSHOTS.format("lista-ruc-baja"))


def test_a_dni_fills_names_and_surnames(signed_in, registry):
    page = signed_in
    registry.add_dni("45678912", nombres="ROSA ELENA", apellidoPaterno="QUISPE", apellidoMaterno="ÑAHUI")
    page.goto("/clientes/nuevo/")
    page.get_by_text("Persona natural", exact=True).click()
    expect(page.get_by_label("Tipo de documento")).to_have_value("1")
    page.get_by_label("Número de documento").fill("45678912")
    page.get_by_role("button", name="Buscar RUC o DNI").click()

    expect(page.get_by_label("Nombres")).to_have_value("ROSA ELENA")
    expect(page.get_by_label("Apellidos")).to_have_value("QUISPE ÑAHUI")


def test_a_wrong_check_digit_is_said_without_asking_the_service(signed_in, registry):
    page = signed_in
    page.goto("/clientes/nuevo/")
    page.get_by_label("Razón social").fill("Gloria")
    page.get_by_label("Número de documento").fill("20100070971")
    page.get_by_role("button", name="Buscar RUC o DNI").click()

    expect(page.locator("#lookup-status")).to_have_text("El RUC no es válido: su dígito verificador no corresponde.")
    expect(page.get_by_label("Razón social")).to_have_value("Gloria")
    assert registry.hits() == 0


def test_foreign_documents_have_no_lupa(signed_in, registry):
    page = signed_in
    page.goto("/clientes/nuevo/")
    lupa = page.get_by_role("button", name="Buscar RUC o DNI")
    expect(lupa).to_be_visible()
    page.get_by_label("Extranjero").check()
    expect(lupa).to_be_hidden()
