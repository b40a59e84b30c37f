"""Posibles duplicados in a real browser (issue 18): an Administrador opens the page from the
list's Más opciones, compares a pair side by side, chooses values, merges, reads the notes,
and undoes the merge from the timeline."""

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from tests.browser.conftest import sign_in
from tests.factories import make_address, make_company

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/clientes-{}.png"  # noqa: S108  (where CI and people look for them)


def test_find_merge_choosing_values_see_the_notes_and_undo(page, reference_data):
    keeper = make_company(business_name="Comercial Núñez S.A.C.", business_line="Ferretería", phone="+51987000444")
    other = make_company(
        business_name="COMERCIAL NUNEZ SAC",
        document_number="",
        business_line="Venta de pinturas",
        phone="+51987000555",
        email="compras@nunez.pe",
    )
    make_address(customer=other, street="Jr. Lima 200")
    sign_in(page, "Administrador", username="ada", first_name="Ada", last_name="Admin")

    page.get_by_role("button", name="Más opciones", exact=True).click()
    page.get_by_role("link", name="Posibles duplicados").click()
    page.get_by_role("link", name="Mismo nombre").click()
    group = page.locator(".duplicate-group").filter(has_text="COMERCIAL NUNEZ SAC")
    expect(group).to_contain_text("Comercial Núñez S.A.C.")
    page.screenshot(path=SCREENSHOTS.format("duplicados"), full_page=True)
    group.get_by_role("link", name="Comparar y fusionar").click()

    expect(page.get_by_role("heading", name="Fusionar dos clientes")).to_be_visible()
    # Keep the survivor's name, take the other's giro.
    page.locator("#c-nombre-s").check()
    page.locator("#c-business_line-m").check()
    page.screenshot(path=SCREENSHOTS.format("fusionar"), full_page=True)
    page.get_by_role("button", name="Fusionar").click()

    expect(page.get_by_text("se fusionó en este cliente")).to_be_visible()
    timeline = page.locator("#timeline")
    first = timeline.locator(".note").first
    expect(first).to_contain_text("Fusionado con «COMERCIAL NUNEZ SAC»")
    expect(first).to_contain_text("Venta de pinturas")
    assert Customer.objects.get(pk=other.pk).deleted_at is not None
    assert Customer.objects.get(pk=keeper.pk).business_line == "Venta de pinturas"
    page.screenshot(path=SCREENSHOTS.format("fusion-notas"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    first.get_by_role("button", name="Deshacer la fusión").click()
    expect(page.get_by_role("alert").filter(has_text="Fusión deshecha")).to_be_visible()
    assert Customer.objects.get(pk=other.pk).deleted_at is None
    assert Customer.objects.get(pk=keeper.pk).business_line == "Ferretería"
    expect(page.locator("#timeline .note").first).to_contain_text("deshecha")
