"""Finding and managing customers in a real browser: search and filter (htmx, the URL and the
back button), the summary, Suspender, Eliminar, the Papelera and Restaurar."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from tests.browser.conftest import sign_in
from tests.factories import make_address, make_company, make_person

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/clientes-{}.png"  # noqa: S108  (where CI and people look for them)


@pytest.fixture
def signed_in(page, reference_data):
    """The page, signed in as an Administrador (the role that may delete and restore)."""
    return sign_in(page, "Administrador", username="ana", first_name="Ana", last_name="Torres")


@pytest.fixture
def customers(reference_data):
    rosa = make_person(first_names="Rosa Elena", last_names="Núñez Quispe", phone="+51987654321")
    make_address(customer=rosa, district_id="150101")
    company = make_company(business_name="Comercial Núñez S.A.C.")
    make_address(customer=company, district_id="080101")
    for name in ("Gloria S.A.", "Backus S.A.A.", "Inversiones Ccoripata S.A.C."):
        make_company(business_name=name)
    return rosa


def results(page):
    return page.locator("#results tbody tr")


def test_search_filter_deactivate_delete_and_restore_from_the_papelera(customers, signed_in):
    page = signed_in
    expect(results(page)).to_have_count(5)

    # Search as you type, without accents: the results refresh in place and the URL follows.
    page.get_by_role("searchbox", name="Buscar clientes").fill("nunez")
    expect(results(page)).to_have_count(2)
    expect(page).to_have_url(re.compile(r"q=nunez"))
    expect(page.locator("#result-count")).to_have_text(re.compile("2 clientes"))

    # A filter narrows the search; Back goes to the search without it.
    page.get_by_label("Tipo").select_option(label="Persona natural")
    expect(results(page)).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=nunez.*tipo=persona"))
    page.screenshot(path=SCREENSHOTS.format("lista-busqueda"), full_page=True)
    page.go_back()
    expect(results(page)).to_have_count(2)
    expect(page.get_by_role("searchbox", name="Buscar clientes")).to_have_value("nunez")  # the form follows
    expect(page.get_by_label("Tipo")).to_have_value("")
    page.go_forward()
    expect(results(page)).to_have_count(1)
    expect(page.get_by_label("Tipo")).to_have_value("persona")

    # A column header sorts; the next filter keeps that order.
    page.get_by_label("Tipo").select_option(label="Todos")
    expect(results(page)).to_have_count(2)
    page.get_by_role("link", name="Nombre / razón social").click()  # now Z-A
    expect(results(page).first).to_contain_text("Núñez Quispe, Rosa Elena")
    page.get_by_label("Estado").select_option(label="Todos")
    expect(page).to_have_url(re.compile(r"orden=-nombre"))
    expect(results(page).first).to_contain_text("Núñez Quispe, Rosa Elena")
    page.get_by_label("Tipo").select_option(label="Persona natural")
    expect(results(page)).to_have_count(1)

    # The summary, then Suspender from its Más opciones.
    page.get_by_role("link", name="Núñez Quispe, Rosa Elena", exact=True).click()
    expect(page.get_by_role("heading", name="Núñez Quispe, Rosa Elena")).to_be_visible()
    page.get_by_role("button", name="Más opciones").click()
    page.get_by_role("button", name="Suspender").click()
    expect(page.get_by_text("suspendido: ya no aparece en el punto de venta")).to_be_visible()
    expect(page.locator(".badge.text-bg-secondary", has_text="Suspendido")).to_be_visible()  # the state badge

    # Eliminar asks first, then moves it to the Papelera.
    page.get_by_role("button", name="Más opciones").click()
    page.get_by_role("link", name="Eliminar…").click()
    expect(page.get_by_role("heading", name="¿Eliminar a «Núñez Quispe, Rosa Elena»?")).to_be_visible()
    page.get_by_role("button", name="Eliminar", exact=True).click()
    expect(page.get_by_text("enviado a la Papelera")).to_be_visible()
    page.get_by_role("searchbox", name="Buscar clientes").fill("nunez")
    expect(page.locator("#result-count")).to_have_text(re.compile("1 cliente"))  # gone from the list

    # The Papelera says who deleted it; Restaurar brings it back as it was (suspended).
    page.get_by_role("navigation", name="Navegación principal").get_by_role("link", name="Papelera").click()
    page.get_by_role("searchbox", name="Buscar clientes").fill("987654321")  # its phone
    expect(results(page)).to_have_count(1)
    row = results(page).first
    expect(row).to_contain_text("Núñez Quispe, Rosa Elena")
    expect(row).to_contain_text("Ana Torres")
    page.screenshot(path=SCREENSHOTS.format("papelera"), full_page=True)
    row.get_by_role("button", name="Restaurar Núñez Quispe, Rosa Elena").click()

    expect(page.get_by_text("Cliente «Núñez Quispe, Rosa Elena» restaurado.")).to_be_visible()
    expect(page.locator(".badge.text-bg-secondary", has_text="Suspendido")).to_be_visible()  # the state badge
    rosa = Customer.objects.get(pk=customers.pk)
    assert (rosa.deleted_at, rosa.is_active) == (None, False)
    assert rosa.addresses.get().district_id == "150101"
    assert [p.number for p in rosa.phones.all()] == ["+51987654321"]


def test_the_list_and_the_papelera_fit_a_phone(customers, signed_in):
    page = signed_in
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    # Nothing wider than the screen: the table scrolls inside its card, if at all.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Filtros").click()
    page.get_by_label("Departamento").select_option(label="Cusco")
    expect(results(page)).to_have_count(1)
    expect(results(page).first).to_contain_text("Comercial Núñez S.A.C.")
    expect(page.locator("#list-filters")).to_have_class(re.compile(r"\bshow\b"))  # unfolded
    page.screenshot(path=SCREENSHOTS.format("lista-telefono"), full_page=True)

    page.goto("/clientes/papelera/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.locator("#result-count")).to_have_text("La Papelera está vacía")


def test_the_row_menu_acts_on_its_own_row(customers, signed_in):
    # One menu serves every row (static/js/list.js): opened from a row, it acts on that row.
    page = signed_in
    page.wait_for_load_state()  # list.js has run
    gloria = results(page).filter(has_text="Gloria S.A.")
    gloria.get_by_role("button", name="Más opciones de Gloria S.A.").click()
    expect(gloria.get_by_role("link", name="Editar", exact=True)).to_have_attribute(
        "href", f"/clientes/{Customer.objects.get(business_name='Gloria S.A.').pk}/editar/"
    )
    page.screenshot(path=SCREENSHOTS.format("menu-fila"))
    # Closed, then opened from another row with the keyboard: the same menu now points there.
    page.keyboard.press("Escape")
    backus = results(page).filter(has_text="Backus S.A.A.")
    backus.get_by_role("button", name="Más opciones de Backus S.A.A.").focus()
    page.keyboard.press("Enter")
    expect(gloria.get_by_role("link", name="Editar", exact=True)).to_have_count(0)
    page.keyboard.press("ArrowDown")  # Bootstrap moves to the first item: Editar
    expect(backus.get_by_role("link", name="Editar", exact=True)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(backus.get_by_role("button", name="Suspender")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_text("suspendido: ya no aparece en el punto de venta")).to_be_visible()
    assert not Customer.objects.get(business_name="Backus S.A.A.").is_active
    assert Customer.objects.get(business_name="Gloria S.A.").is_active
    # A suspended row's menu offers Reactivar, not Suspender.
    page.get_by_label("Estado").select_option(label="Suspendidos")
    expect(results(page)).to_have_count(1)
    results(page).first.get_by_role("button", name="Más opciones de Backus S.A.A.").click()
    expect(results(page).first.get_by_role("button", name="Reactivar")).to_be_visible()
    expect(results(page).first.get_by_role("button", name="Suspender")).to_be_hidden()
    results(page).first.get_by_role("button", name="Reactivar").click()
    expect(page.get_by_text("reactivado")).to_be_visible()
    assert Customer.objects.get(business_name="Backus S.A.A.").is_active


def test_the_row_menu_of_the_last_row_opens_whole(customers, signed_in):
    # The last row's menu opens over the table's edge as every row's does; each item can be clicked.
    page = signed_in
    page.wait_for_load_state()
    last = results(page).last
    last.get_by_role("button", name=re.compile("Más opciones de")).click()
    items = last.locator("#row-menu .dropdown-item:visible")
    expect(items.first).to_be_visible()
    page.screenshot(path=SCREENSHOTS.format("menu-ultima-fila"))
    for index in range(items.count()):
        items.nth(index).click(trial=True)  # nothing covers it: it would take the click
