"""Issue 14 in the browser: phones as offices write them, names typed in lower case, Enter in
the document number, the bulk buttons, the full history on a phone and fechas dd/mm/aaaa."""

import re

import pytest
from playwright.sync_api import expect

from customers import services
from customers.models import Customer
from tests.browser.conftest import sign_in as browser_sign_in
from tests.factories import company_data, make_company

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/clientes-office-{}.png"  # noqa: S108


def sign_in(page, username="vendedora", role="Ventas"):
    return browser_sign_in(page, role, username=username, first_name="Lucía", last_name="Flores")


@pytest.fixture
def signed_in(page, reference_data):
    return sign_in(page)


def fill_company(page, name="Ferretería El Tornillo S.A.C."):
    page.get_by_label("Número de documento").fill(company_data()["document_number"])
    page.get_by_label("Razón social").fill(name)
    page.get_by_label("Giro").fill("Ferretería")
    page.get_by_label("Departamento").select_option(label="Lima")
    page.get_by_label("Provincia").select_option(label="Lima")
    page.get_by_label("Distrito").select_option(label="Miraflores")
    page.get_by_label("Calle y número").fill("Av. Larco 100")


def test_phones_keep_their_anexo_and_lima_numbers_get_their_01(signed_in):
    page = signed_in
    page.goto("/clientes/nuevo/")
    fill_company(page)
    first = page.get_by_role("textbox", name="Teléfono")
    first.fill("4701234 ext. 205")
    first.press("Tab")
    # The field shows what was understood, and says why.
    expect(first).to_have_value("(01) 470 1234 anexo 205")
    expect(page.locator("[data-phone-note]").first).to_have_text(
        "Fijo de Lima: se guardará como (01) 470 1234 anexo 205."
    )
    page.get_by_role("button", name="Agregar teléfono").click()
    second = page.get_by_role("textbox", name="Teléfono").nth(1)
    second.fill("234567")
    second.press("Tab")
    expect(page.locator("[data-phone-note]").nth(1)).to_contain_text("código de su departamento")
    page.screenshot(path=SCREENSHOTS.format("telefonos-formulario"), full_page=True)
    second.fill("(054) 234567")
    second.press("Tab")
    expect(second).to_have_value("(054) 234 567")
    page.get_by_role("button", name="Guardar").click()

    expect(page.get_by_role("heading", name="Ferretería El Tornillo S.A.C.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("(01) 470 1234 anexo 205")
    customer = Customer.objects.get(business_name="Ferretería El Tornillo S.A.C.")
    assert list(customer.phones.values_list("number", flat=True)) == ["+5114701234;ext=205", "+5154234567"]


def test_a_mobile_changed_into_a_landline_asks_about_whatsapp(signed_in):
    page = signed_in
    customer = services.create_customer(
        actor=None, data=company_data(phones=[{"number": "987 654 321", "whatsapp": True}])
    )
    page.goto(f"/clientes/{customer.pk}/editar/")
    phone = page.get_by_role("textbox", name="Teléfono")
    question = page.get_by_label(re.compile("Es un teléfono fijo"))
    expect(question).to_be_hidden()
    phone.fill("01 4701234")
    phone.press("Tab")
    # WhatsApp stays as the person left it, but the page asks instead of guessing.
    expect(question).to_be_visible()
    expect(page.get_by_role("checkbox", name="WhatsApp", exact=True)).to_be_checked()
    page.screenshot(path=SCREENSHOTS.format("telefono-fijo-whatsapp"), full_page=True)

    # Saving without answering is refused, with everything typed kept.
    page.get_by_role("button", name="Guardar").click()
    expect(page.locator("#phones-error")).to_contain_text("es un teléfono fijo")
    expect(page.get_by_role("textbox", name="Teléfono")).to_have_value("(01) 470 1234")
    assert customer.phones.get().number == "+51987654321"

    # Unticking WhatsApp answers it.
    page.get_by_role("checkbox", name="WhatsApp", exact=True).uncheck()
    expect(page.get_by_label(re.compile("Es un teléfono fijo"))).to_be_hidden()
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_role("heading", name=customer.name)).to_be_visible()
    assert list(customer.phones.values_list("number", "whatsapp")) == [("+5114701234", False)]


def test_a_landline_with_whatsapp_business_is_kept_when_confirmed(signed_in):
    page = signed_in
    customer = services.create_customer(actor=None, data=company_data())
    page.goto(f"/clientes/{customer.pk}/editar/")
    phone = page.get_by_role("textbox", name="Teléfono")
    phone.fill("(01) 470 1234")
    page.get_by_role("checkbox", name="WhatsApp", exact=True).check()
    page.get_by_label(re.compile("Es un teléfono fijo")).check()
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_role("heading", name=customer.name)).to_be_visible()
    assert list(customer.phones.values_list("number", "whatsapp")) == [("+5114701234", True)]


def test_names_typed_in_lower_case_are_offered_capitalised_in_one_click(signed_in):
    page = signed_in
    page.goto("/clientes/nuevo/")
    page.get_by_text("Persona natural", exact=True).click()
    last = page.get_by_label("Apellidos")
    last.fill("de la cruz mamani")
    hint = page.locator(".capitalize-hint").filter(has=page.locator("button"))
    offer = page.get_by_role("button", name="De la Cruz Mamani")
    expect(offer).to_be_visible()
    # Nothing changes by itself.
    expect(last).to_have_value("de la cruz mamani")
    page.get_by_label("Nombres").fill("maría elena")
    page.screenshot(path=SCREENSHOTS.format("mayusculas"), full_page=True)
    page.get_by_role("button", name="María Elena").click()
    expect(page.get_by_label("Nombres")).to_have_value("María Elena")
    expect(page.get_by_role("button", name="María Elena")).to_be_hidden()
    assert hint.count() >= 1
    # A name with capitals of its own is left alone.
    last.fill("de la Cruz")
    expect(page.get_by_role("button", name="De la Cruz")).to_be_hidden()


def test_enter_in_the_document_number_without_a_lookup_moves_on_instead_of_saving(signed_in):
    page = signed_in
    page.goto("/clientes/nuevo/")
    number = page.get_by_label("Número de documento")
    number.fill("20100070970")
    number.press("Enter")
    expect(page.get_by_label("Razón social")).to_be_focused()
    expect(page.locator("#form-errors")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/clientes/nuevo/$"))


def test_bulk_buttons_wait_for_a_ticked_row_and_count_them(signed_in):
    page = signed_in
    make_company(business_name="Alfa S.A.C.")
    make_company(business_name="Beta S.A.C.")
    page.goto("/clientes/")
    suspend = page.locator('button[data-bulk-label="Suspender"]')
    expect(suspend).to_be_disabled()
    page.get_by_label("Seleccionar Alfa S.A.C.").check()
    expect(suspend).to_be_enabled()
    expect(suspend).to_have_text("Suspender 1 cliente")
    page.get_by_label("Seleccionar Beta S.A.C.").check()
    expect(suspend).to_have_text("Suspender 2 clientes")
    page.screenshot(path=SCREENSHOTS.format("acciones-masivas"))
    page.get_by_label("Seleccionar Alfa S.A.C.").uncheck()
    page.get_by_label("Seleccionar Beta S.A.C.").uncheck()
    expect(suspend).to_be_disabled()


def test_the_full_history_fits_a_phone(page, reference_data):
    sign_in(page)
    customer = services.create_customer(actor=None, data=company_data(business_line="Ferretería"))
    services.update_customer(
        actor=None,
        customer=customer,
        data=company_data(
            document_number=customer.document_number,
            business_line="Ferretería y materiales de construcción para obras grandes",
        ),
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/clientes/{customer.pk}/historial/")
    changes = page.locator("td[data-label='Cambios']").first
    expect(changes).to_contain_text("Giro")
    box = changes.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"la página mide {width} px"
    page.screenshot(path=SCREENSHOTS.format("historial-telefono"), full_page=True)


def test_the_contact_and_note_typed_at_creation_show_in_their_tabs(signed_in):
    page = signed_in
    page.goto("/clientes/nuevo/")
    fill_company(page, name="Panadería San Martín S.A.C.")
    page.get_by_label("Nombre y apellido del contacto").fill("Rosa Quispe")
    page.get_by_role("textbox", name="Nota").fill("Entregar antes de las 9.")
    page.screenshot(path=SCREENSHOTS.format("alta-contacto-nota"), full_page=True)
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_role("heading", name="Panadería San Martín S.A.C.")).to_be_visible()

    page.get_by_role("tab", name="Contactos").click()
    expect(page.locator("#contacts")).to_contain_text("Rosa Quispe")
    page.get_by_role("tab", name="Notas").click()
    first = page.locator("#timeline .note").first
    expect(first).to_contain_text("Entregar antes de las 9.")
    expect(first).to_contain_text("Lucía Flores")
    expect(page.locator("#timeline .note").nth(1)).to_contain_text("Cliente creado.")
    # The edit form sends both to their tabs instead of a field nobody sees.
    page.goto(page.url.split("?")[0] + "editar/")
    expect(page.get_by_role("textbox", name="Nota")).to_have_count(0)
    expect(page.get_by_role("link", name="Contactos")).to_be_visible()


def test_the_delete_confirmation_says_the_document_stays_reserved(page, reference_data):
    sign_in(page, username="admin", role="Administrador")
    customer = make_company(business_name="Gloria S.A.")
    page.goto(f"/clientes/{customer.pk}/eliminar/")
    expect(page.locator("main")).to_contain_text("siguen siendo suyos")
    expect(page.locator("main")).not_to_contain_text("quedarán libres para otro cliente")
    page.get_by_role("button", name="Eliminar").click()
    page.goto("/clientes/nuevo/")
    fill_company(page, name="Otra S.A.C.")
    page.get_by_label("Número de documento").fill(customer.document_number)
    page.get_by_role("button", name="Guardar").click()
    expect(page.locator("#form-errors")).to_contain_text("en la Papelera")
    expect(page.get_by_role("button", name="Restaurarlo")).to_be_visible()
