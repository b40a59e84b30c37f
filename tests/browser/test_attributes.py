"""Atributos adicionales in a real browser: an Administrador creates a date attribute with a
help tip in the side panel, then fills it on a customer and sees it on the summary."""

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from tests.browser.conftest import sign_in
from tests.factories import make_address, make_company

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/clientes-{}.png"  # noqa: S108  (where CI and people look for them)


@pytest.fixture
def as_admin(page, reference_data):
    return sign_in(page, "Administrador", username="admin-atributos", first_name="Ana", last_name="Rojas")


def test_create_a_date_attribute_with_a_help_tip_and_fill_it_on_a_customer(as_admin):
    page = as_admin
    customer = make_company(business_name="Panadería San Martín S.A.C.")
    make_address(customer=customer)

    # From the customers screen's top menu to the attributes screen; Nuevo atributo opens the panel.
    page.get_by_role("link", name="Atributos adicionales").click()
    expect(page.get_by_role("heading", name="Atributos adicionales")).to_be_visible()
    page.get_by_role("link", name="Nuevo atributo").click()
    panel = page.locator("#side-panel")
    expect(panel.get_by_role("heading", name="Nuevo atributo")).to_be_visible()
    panel.get_by_label("Tipo de atributo").select_option(label="Fecha")
    expect(panel.get_by_label("Opciones")).to_be_hidden()  # only lists have options
    panel.get_by_label("Nombre del atributo").fill("Aniversario")
    panel.get_by_label("Tip de ayuda").fill("Fecha de fundación de la empresa")
    page.screenshot(path=SCREENSHOTS.format("nuevo-atributo"), full_page=True)
    panel.get_by_role("button", name="Guardar").click()

    # The panel closes and the list shows the new attribute.
    expect(panel).to_be_hidden()
    row = page.locator("#attribute-list tbody tr", has_text="Aniversario")
    expect(row).to_contain_text("Fecha")
    expect(page.locator("#attribute-list")).to_contain_text("Atributo «Aniversario» creado")

    # An existing customer's edit form has the field, with its date picker and help tip.
    page.goto(f"/clientes/{customer.pk}/editar/")
    field = page.get_by_label("Aniversario")
    expect(field).to_have_attribute("type", "date")
    expect(page.locator("#attribute-fields")).to_contain_text("Fecha de fundación de la empresa")
    field.fill("2005-08-15")
    page.screenshot(path=SCREENSHOTS.format("atributo-en-formulario"), full_page=True)
    page.get_by_role("button", name="Guardar").first.click()

    # Saved and shown on the summary's Atributos tab as dd/mm/aaaa.
    expect(page.get_by_role("heading", name="Panadería San Martín S.A.C.")).to_be_visible()
    page.get_by_role("tab", name="Atributos").click()
    expect(page.locator("#attribute-values")).to_contain_text("15/08/2005")
    page.screenshot(path=SCREENSHOTS.format("atributos-resumen"), full_page=True)
    customer.refresh_from_db()
    assert list(Customer.objects.get(pk=customer.pk).attributes.values()) == ["2005-08-15"]
