"""Customer records in a real browser: the form that changes with the type, the cascading
ubigeo selects, the keyboard, and the side panels of the summary."""

import re

import pytest
from playwright.sync_api import expect

from customers import services
from customers.models import Customer
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/clientes-{}.png"  # noqa: S108  (where CI and people look for them)


@pytest.fixture
def signed_in(page, reference_data):
    """The page, signed in as a Ventas user (creates and edits customers, not Configuración)."""
    return sign_in(page, "Ventas", username="vendedora", first_name="Lucía", last_name="Flores")


def test_create_a_company_with_the_cascading_ubigeo_selects(signed_in):
    page = signed_in
    page.get_by_role("link", name="Nuevo cliente").click()
    expect(page.get_by_role("heading", name="Nuevo cliente")).to_be_visible()

    # Empresa is the default type: razón social, RUC, giro and the fiscal address are shown.
    expect(page.get_by_label("Razón social")).to_be_visible()
    expect(page.get_by_label("Nombres")).to_be_hidden()
    page.get_by_label("Número de documento").fill("20131312955")
    page.get_by_label("Razón social").fill("Superintendencia Nacional de Aduanas")
    page.get_by_label("Giro").fill("Administración pública")

    district = page.get_by_label("Distrito")
    expect(district).to_have_text("Elija la provincia")
    page.get_by_label("Departamento").select_option(label="Lima")
    # htmx fills the provincias of Lima; choosing one fills its distritos.
    page.get_by_label("Provincia").select_option(label="Huaura")
    district.select_option(label="Huacho")
    expect(district.locator("option")).to_contain_text(["Ambar", "Huacho", "Hualmay"])
    # Another departamento empties the distrito and brings that departamento's provincias.
    page.get_by_label("Departamento").select_option(label="Cusco")
    expect(district).to_have_value("")
    page.get_by_label("Provincia").select_option(label="Urubamba")
    district.select_option(label="Machupicchu")
    page.get_by_label("Calle y número").fill("Av. Pachacútec 100")

    page.get_by_role("textbox", name="Teléfono").fill("987 654 321")
    page.get_by_role("checkbox", name="WhatsApp").check()
    page.get_by_role("button", name="Agregar correo").click()
    page.get_by_role("textbox", name="Correo electrónico").nth(1).fill("mesa@sunat.gob.pe")
    page.screenshot(path=SCREENSHOTS.format("nuevo-cliente-empresa"), full_page=True)
    page.get_by_role("button", name="Guardar").click()

    expect(page).to_have_url(re.compile(r"/clientes/\d+/$"))
    expect(page.get_by_role("heading", name="Superintendencia Nacional de Aduanas")).to_be_visible()
    data = page.get_by_role("tabpanel", name="Datos")
    expect(data.get_by_text("Av. Pachacútec 100")).to_be_visible()
    expect(data.get_by_text("Machupicchu, Urubamba, Cusco")).to_be_visible()
    expect(data.get_by_role("link", name="WhatsApp")).to_have_attribute("href", "https://wa.me/51987654321")
    customer = Customer.objects.get()
    assert customer.addresses.get().district_id == "081304"
    assert [e.email for e in customer.emails.all()] == ["mesa@sunat.gob.pe"]


def test_create_a_person_with_the_keyboard_only(signed_in):
    page = signed_in
    page.goto("/clientes/nuevo/")
    # From here on, only keys: the type is the focused field, arrows change it.
    expect(page.locator("#id_kind_empresa")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#id_kind_persona")).to_be_checked()
    expect(page.get_by_label("Razón social")).to_be_hidden()
    page.keyboard.press("Tab")  # Extranjero
    page.keyboard.press("Tab")  # Tipo de documento: DNI for a person
    expect(page.get_by_label("Tipo de documento")).to_be_focused()
    expect(page.get_by_label("Tipo de documento")).to_have_value("1")
    page.keyboard.press("Tab")
    page.keyboard.type("45678912")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Nombres")).to_be_focused()
    page.keyboard.type("Rosa Elena")
    page.keyboard.press("Tab")
    page.keyboard.type("Quispe Ñahui")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/clientes/\d+/$"))
    expect(page.get_by_role("heading", name="Quispe Ñahui, Rosa Elena")).to_be_visible()
    customer = Customer.objects.get()
    assert (customer.kind, customer.document_type_id, customer.document_number) == ("persona", "1", "45678912")


def test_an_error_keeps_the_input_and_puts_the_cursor_on_the_field(signed_in):
    page = signed_in
    page.goto("/clientes/nuevo/")
    page.get_by_label("Número de documento").fill("20131312956")
    page.get_by_label("Razón social").fill("Aduanas")
    page.get_by_label("Razón social").press("Enter")

    expect(page.get_by_text("su dígito verificador no corresponde")).to_be_visible()
    expect(page.get_by_label("Número de documento")).to_be_focused()
    expect(page.get_by_label("Número de documento")).to_have_value("20131312956")
    expect(page.get_by_label("Razón social")).to_have_value("Aduanas")
    assert not Customer.objects.exists()


def test_add_a_delivery_address_and_a_contact_from_the_summary(signed_in):
    page = signed_in
    customer = services.create_customer(
        actor=None,
        data={
            "kind": "empresa",
            "document_type": "6",
            "document_number": "20601030013",
            "business_name": "Comercial Andina S.A.C.",
            "business_line": "Comercio",
            "address": {"district": "150101", "street": "Jr. de la Unión 500"},
        },
    )
    page.goto(f"/clientes/{customer.pk}/")
    page.get_by_role("tab", name="Direcciones").click()
    expect(page).to_have_url(re.compile(r"\?tab=direcciones$"))

    page.get_by_role("button", name="Agregar dirección").click()
    panel = page.locator("#side-panel")
    expect(panel.get_by_role("heading", name="Nueva dirección")).to_be_visible()
    expect(panel.get_by_label("Tipo de dirección")).to_have_value("entrega")
    # Saving with nothing filled in: the errors show inside the panel, which stays open.
    panel.get_by_role("button", name="Guardar").click()
    expect(panel.get_by_text("Elija departamento, provincia y distrito.")).to_be_visible()
    # Once htmx has settled the new form, the cursor is on the first field with an error.
    expect(panel.get_by_label("Distrito")).to_be_focused()
    panel.get_by_label("Departamento").select_option(label="Arequipa")
    panel.get_by_label("Provincia").select_option(label="Arequipa")
    panel.get_by_label("Distrito").select_option(label="Yanahuara")
    panel.get_by_label("Calle y número").fill("Calle Misti 456")
    panel.get_by_label("Indicaciones").fill("Frente a la plaza")
    panel.get_by_label("Calle y número").press("Enter")

    expect(panel).to_be_hidden()
    addresses = page.locator("#addresses")
    expect(addresses.get_by_text("Dirección agregada.")).to_be_visible()
    expect(addresses.get_by_text("Calle Misti 456", exact=True)).to_be_visible()
    expect(addresses.get_by_text("Yanahuara, Arequipa, Arequipa")).to_be_visible()
    expect(page.locator("#count-addresses")).to_have_text("2")
    expect(page).to_have_url(re.compile(rf"/clientes/{customer.pk}/\?tab=direcciones$"))  # never left the customer

    page.get_by_role("tab", name="Contactos").click()
    page.get_by_role("button", name="Agregar contacto").click()
    expect(panel.get_by_role("heading", name="Nuevo contacto")).to_be_visible()
    expect(panel.get_by_label("Nombre")).to_be_focused()
    page.keyboard.type("Rosa Quispe")
    panel.get_by_label("Cargo").fill("Jefa de compras")
    panel.get_by_label("Teléfonos").fill("987 111 222")
    panel.get_by_label("Correos electrónicos").fill("rosa@andina.pe")
    page.screenshot(path=SCREENSHOTS.format("panel-contacto"))
    panel.get_by_role("button", name="Guardar").click()

    expect(panel).to_be_hidden()
    contacts = page.locator("#contacts")
    expect(contacts.get_by_text("Rosa Quispe", exact=True)).to_be_visible()
    expect(contacts.get_by_text("Jefa de compras")).to_be_visible()
    expect(contacts.get_by_role("link", name="987 111 222")).to_be_visible()
    # The Notas tab already has both changes, newest first, without reloading the page.
    page.get_by_role("tab", name="Notas").click()
    expect(page.locator("#timeline .note-text").first).to_have_text("Contacto agregado: Rosa Quispe.")
    expect(page.locator("#timeline").get_by_text("Dirección agregada: Calle Misti 456")).to_be_visible()
    page.get_by_role("tab", name="Contactos").click()

    # Esc closes a panel without saving.
    contacts.get_by_role("button", name="Agregar contacto").click()
    expect(panel.get_by_label("Nombre")).to_be_focused()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    page.reload()
    expect(page.get_by_role("tab", name="Contactos")).to_have_attribute("aria-selected", "true")
    assert customer.addresses.count() == 2 and customer.contacts.count() == 1


def test_a_field_clicked_while_the_panel_slides_in_keeps_the_cursor(signed_in):
    page = signed_in
    customer = services.create_customer(
        actor=None,
        data={
            "kind": "empresa",
            "document_type": "6",
            "document_number": "20601030013",
            "business_name": "Comercial Andina S.A.C.",
            "business_line": "Comercio",
            "address": {"district": "150101", "street": "Jr. de la Unión 500"},
        },
    )
    page.goto(f"/clientes/{customer.pk}/?tab=contactos")
    page.evaluate(
        """() => { window.panelShown = false;
          document.getElementById("side-panel").addEventListener(
            "shown.bs.offcanvas", () => { window.panelShown = true; }); }"""
    )
    page.get_by_role("button", name="Agregar contacto").click()
    panel = page.locator("#side-panel")
    # A quick typist clicks Cargo as soon as the form is there, before the slide has ended.
    panel.get_by_label("Cargo").fill("Jefa de compras")
    page.wait_for_function("() => window.panelShown")
    # The end of the slide does not send the cursor back to Nombre in the middle of the typing.
    expect(panel.get_by_label("Cargo")).to_be_focused()
    page.keyboard.type(" y ventas")
    expect(panel.get_by_label("Cargo")).to_have_value("Jefa de compras y ventas")
    expect(panel.get_by_label("Nombre")).to_have_value("")
