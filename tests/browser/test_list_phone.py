"""The customer list and summary on a 390 px phone, where only a browser shows what fits: the
row's ⋮ button on screen, a phone number on one line, the whole search hint, an order for the
hidden Documento column, and every summary tab in view."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import make_company, make_person

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def on_a_phone(page, reference_data):
    """Signed in as Ventas (who gets the row menu) on a phone-sized screen."""
    page.set_viewport_size(PHONE)
    return sign_in(page, "Ventas", username="vero")


@pytest.fixture
def customers(reference_data):
    # A long name and a Lima landline, the widest row the review found.
    make_company(
        business_name="Agencia de Viajes del Águila Hermanos S.A.C.", document_number="20100070970", phone="+5114958930"
    )
    make_company(business_name="Backus S.A.A.", document_number="20100113610")
    return make_person(first_names="Rosa", last_names="Quispe", document_number="45678912")


def test_the_list_row_fits_a_phone_with_its_menu_button_on_screen(customers, on_a_phone):
    page = on_a_phone
    table = page.locator(".table-responsive")
    widths = table.evaluate("box => [box.scrollWidth, box.clientWidth]")
    assert widths[0] <= widths[1], f"la tabla mide {widths[0]} px en una caja de {widths[1]} px"
    button = page.get_by_role("button", name="Más opciones de Agencia de Viajes del Águila Hermanos S.A.C.")
    box = button.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"]
    button.click()
    expect(page.get_by_role("link", name="Editar", exact=True)).to_be_visible()


def test_a_phone_number_stays_on_one_line(customers, on_a_phone):
    number = on_a_phone.locator("td.name .text-nowrap", has_text="4958930")
    expect(number).to_have_text("(01) 4958930")
    assert number.evaluate("span => span.getClientRects().length") == 1


def test_the_search_hint_is_shown_whole(customers, on_a_phone):
    search = on_a_phone.get_by_role("searchbox", name="Buscar clientes")
    room, needed = search.evaluate(
        """input => {
            const style = getComputedStyle(input), hint = getComputedStyle(input, "::placeholder");
            const context = document.createElement("canvas").getContext("2d");
            context.font = `${hint.fontSize} ${hint.fontFamily}`;
            const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
            return [input.clientWidth - padding, context.measureText(input.placeholder).width];
        }"""
    )
    assert needed <= room, f"la pista mide {needed:.0f} px y caben {room:.0f} px"


def test_the_filters_panel_sorts_by_document_on_a_phone(customers, on_a_phone):
    page = on_a_phone
    expect(page.locator("th", has_text="Documento")).to_be_hidden()  # the sortable column is not there
    page.get_by_role("button", name="Filtros").click()
    page.get_by_label("Ordenar por").select_option(label="Documento (descendente)")

    expect(page).to_have_url(re.compile(r"orden=-documento"))
    # The person's DNI (8 digits, starting 4…) sorts after both RUCs (starting 20…).
    expect(page.locator("#results tbody tr").first).to_contain_text("Quispe, Rosa")
    expect(page.locator("#results tbody tr").last).to_contain_text("Agencia de Viajes del Águila")
    # A second filter keeps the order the select chose.
    page.get_by_label("Tipo").select_option(label="Empresa")
    expect(page.locator("#results tbody tr")).to_have_count(2)
    expect(page.locator("#results tbody tr").first).to_contain_text("Backus S.A.A.")
    expect(page.get_by_label("Ordenar por")).to_have_value("-documento")


def test_every_summary_tab_is_in_view_on_a_phone(customers, on_a_phone):
    page = on_a_phone
    page.get_by_role("link", name="Quispe, Rosa").click()
    tabs = page.get_by_role("tab")
    expect(tabs).to_have_count(8)  # with the credit app's Comprobantes and Puntos
    for tab in tabs.all():
        expect(tab).to_be_in_viewport()
        box = tab.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], tab.inner_text()
    page.get_by_role("tab", name="Notas").click()
    expect(page.get_by_role("tabpanel", name="Notas")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
