"""Two people editing the same customer at once (issue 14): two browser contexts, two users.
A save that doesn't touch what the other changed goes through and keeps the other's change;
a save that does is refused, naming who changed what, keeping what was typed, and offering the
current value next to the typed one."""

import re

import pytest
from playwright.sync_api import expect

from customers import services
from customers.models import Customer
from tests.browser.conftest import sign_in
from tests.factories import company_data

pytestmark = pytest.mark.browser


@pytest.fixture
def second_page(browser, live_server):
    """Another browser (its own cookies): another person at another desk."""
    context = browser.new_context(
        base_url=live_server.url, locale="es-PE", timezone_id="America/Lima", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def two_people(page, second_page, reference_data):
    ana = sign_in(page, "Ventas", username="ana", first_name="Ana", last_name="Ruiz")
    beto = sign_in(second_page, "Ventas", username="beto", first_name="Beto", last_name="Díaz")
    customer = services.create_customer(
        actor=None,
        data=company_data(
            business_name="Ferretería El Tornillo S.A.C.",
            business_line="Ferretería",
            address={"district": "150122", "street": "Av. Larco 100", "reference": "Frente al parque"},
        ),
    )
    return ana, beto, customer


def test_saves_that_do_not_overlap_both_land(two_people):
    ana, beto, customer = two_people
    edit = f"/clientes/{customer.pk}/editar/"
    ana.goto(edit)
    beto.goto(edit)  # opened before Ana saves

    ana.get_by_label("Giro").fill("Ferretería y pinturas")
    ana.get_by_role("button", name="Guardar").click()
    expect(ana.get_by_role("heading", name=customer.name)).to_be_visible()

    beto.get_by_label("Indicaciones").fill("Al lado del banco")
    beto.get_by_role("button", name="Guardar").click()
    expect(beto.get_by_role("heading", name=customer.name)).to_be_visible()

    customer = Customer.objects.get(pk=customer.pk)
    assert customer.business_line == "Ferretería y pinturas"  # Ana's change was not undone
    assert customer.addresses.get(is_default=True).reference == "Al lado del banco"
    # Beto's note names what he changed, Indicaciones included.
    beto.get_by_role("tab", name="Notas").click()
    expect(beto.locator(".note").first).to_contain_text("Indicaciones: Frente al parque → Al lado del banco")
    expect(beto.locator("#notes")).not_to_contain_text("Giro: Ferretería y pinturas → Ferretería")


def test_an_overlapping_save_is_refused_naming_who_changed_what(two_people):
    ana, beto, customer = two_people
    edit = f"/clientes/{customer.pk}/editar/"
    ana.goto(edit)
    beto.goto(edit)

    ana.get_by_label("Giro").fill("Ferretería y pinturas")
    ana.get_by_role("button", name="Guardar").click()
    expect(ana.get_by_role("heading", name=customer.name)).to_be_visible()

    beto.get_by_label("Giro").fill("Materiales de construcción")
    beto.get_by_label("Indicaciones").fill("Al lado del banco")
    beto.get_by_role("button", name="Guardar").click()

    stale = beto.locator("#stale-edit")
    expect(stale).to_be_visible()
    expect(stale).to_contain_text("mientras usted editaba, Ana Ruiz cambió este cliente")
    expect(stale).to_contain_text("Giro: Ferretería → Ferretería y pinturas")
    row = stale.locator("tr[data-conflict='business_line']")
    expect(row).to_contain_text("Ferretería y pinturas")
    expect(row).to_contain_text("Materiales de construcción")
    # Everything Beto typed is still in the form; nothing of his was saved.
    expect(beto.get_by_label("Giro")).to_have_value("Materiales de construcción")
    expect(beto.get_by_label("Indicaciones")).to_have_value("Al lado del banco")
    beto.screenshot(path="/tmp/clientes-office-edicion-en-conflicto.png", full_page=True)  # noqa: S108
    assert Customer.objects.get(pk=customer.pk).business_line == "Ferretería y pinturas"

    # He takes Ana's Giro for that field and saves again, on purpose.
    row.get_by_role("button", name="Usar el valor actual").click()
    expect(beto.get_by_label("Giro")).to_have_value("Ferretería y pinturas")
    beto.get_by_role("button", name="Guardar").click()
    expect(beto.get_by_role("heading", name=customer.name)).to_be_visible()
    customer = Customer.objects.get(pk=customer.pk)
    assert customer.business_line == "Ferretería y pinturas"
    assert customer.addresses.get(is_default=True).reference == "Al lado del banco"


def test_a_contact_edited_in_two_panels_is_not_silently_overwritten(two_people):
    ana, beto, customer = two_people
    contact = services.save_contact(actor=None, customer=customer, data={"name": "Rosa Quispe", "role": "Compras"})
    for page in (ana, beto):
        page.goto(f"/clientes/{customer.pk}/?tab=contactos")
        page.get_by_role("button", name=re.compile("Editar.*Rosa Quispe")).click()
        expect(page.locator("#side-panel").get_by_label("Cargo")).to_have_value(
            "Compras"
        )  # both forms read before Ana saves
    ana.locator("#side-panel").get_by_label("Cargo").fill("Gerente de compras")
    ana.locator("#side-panel").get_by_role("button", name="Guardar").click()
    expect(ana.locator("#contacts")).to_contain_text("Gerente de compras")

    panel = beto.locator("#side-panel")
    panel.get_by_label("Cargo").fill("Jefa de almacén")
    panel.get_by_role("button", name="Guardar").click()
    expect(panel.locator("#stale-edit")).to_contain_text("Ana Ruiz")
    expect(panel.get_by_label("Cargo")).to_have_value("Jefa de almacén")
    contact.refresh_from_db()
    assert contact.role == "Gerente de compras"
