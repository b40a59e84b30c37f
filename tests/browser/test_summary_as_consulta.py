"""The customer summary as Consulta reads it: Más opciones without a line above its first item,
labels that do not run together."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import make_company

pytestmark = pytest.mark.browser


def test_the_summary_menu_of_a_read_only_role_starts_with_an_item_not_a_line(page, reference_data):
    customer = make_company()
    page = sign_in(page, "Consulta", username="consulta-menu")
    page.goto(f"/clientes/{customer.pk}/")
    page.get_by_role("button", name="Más opciones").click()
    menu = page.locator(".customer-actions .dropdown-menu")
    expect(menu.get_by_role("button", name="Ver crédito")).to_be_visible()
    expect(menu.locator("li").first.locator(".dropdown-divider")).to_be_hidden()


def test_a_two_line_label_of_the_summary_does_not_touch_the_next(page, reference_data):
    customer = make_company()
    page = sign_in(page, "Consulta", username="consulta-etiquetas")
    page.goto(f"/clientes/{customer.pk}/")
    first = page.locator(".customer-data dt", has_text="Correos de notificación").bounding_box()
    second = page.locator(".customer-data dt", has_text="WhatsApp de notificación").bounding_box()
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.customer-data dt')).lineHeight)")
    assert first["height"] > 1.5 * line  # it does wrap at this width, or the test proves nothing
    assert second["y"] - (first["y"] + first["height"]) >= 6


def test_the_new_person_form_does_not_promise_a_contact_field(page, reference_data):
    page = sign_in(page, "Ventas", username="ventas-persona")
    page.goto("/clientes/nuevo/")
    heading = page.locator("#sec-contacto")
    expect(heading).to_have_text("Teléfonos, correos, contacto y nota", use_inner_text=True)
    page.get_by_text("Persona natural", exact=True).click()
    # A person has no «Nombre y apellido del contacto».
    expect(heading).to_have_text("Teléfonos, correos y nota", use_inner_text=True)
    expect(page.get_by_label("Nombre y apellido del contacto")).to_be_hidden()
