"""The Notas timeline in a real browser: a person's note, an edit of the phone and a
deactivation all appear, newest first, with the phone's before → after."""

import re

import pytest
from playwright.sync_api import expect

from customers import services
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/clientes-{}.png"  # noqa: S108  (where CI and people look for them)


@pytest.fixture
def signed_in(page, reference_data):
    return sign_in(page, "Ventas", username="vendedora", first_name="Lucía", last_name="Flores")


def test_add_a_note_edit_the_phone_deactivate_and_see_all_three_in_the_timeline(signed_in):
    page = signed_in
    customer = services.create_customer(
        actor=None,
        data={
            "kind": "persona",
            "document_type": "1",
            "first_names": "Rosa Elena",
            "last_names": "Quispe Ñahui",
            "phones": [{"number": "999111222"}],
        },
    )
    page.goto(f"/clientes/{customer.pk}/?tab=notas")

    # 1. A note, added in place (htmx).
    page.get_by_label("Agregar una nota").fill("Pidió el catálogo de diciembre.")
    page.get_by_role("button", name="Agregar nota").click()
    timeline = page.locator("#timeline")
    expect(timeline.locator(".note").first).to_contain_text("Pidió el catálogo de diciembre.")
    expect(timeline.locator(".note").first).to_contain_text("Lucía Flores")

    # 2. The phone, through the edit form.
    page.get_by_role("link", name="Editar", exact=True).click()
    page.get_by_role("textbox", name="Teléfono").first.fill("988 777 666")
    page.get_by_role("button", name="Guardar").first.click()
    expect(page.get_by_text("actualizado")).to_be_visible()

    # 3. Desactivar, from Más opciones.
    page.get_by_role("button", name="Más opciones").click()
    page.get_by_role("button", name="Desactivar").click()
    expect(page.get_by_text("desactivado", exact=False).first).to_be_visible()

    page.goto(f"/clientes/{customer.pk}/?tab=notas")
    notes = page.locator("#timeline .note")
    expect(notes.nth(0)).to_contain_text("Desactivado")
    expect(notes.nth(1)).to_contain_text("Teléfono: 999 111 222 → 988 777 666")
    expect(notes.nth(2)).to_contain_text("Pidió el catálogo de diciembre.")
    expect(notes.nth(3)).to_contain_text("Cliente creado.")
    page.screenshot(path=SCREENSHOTS.format("notas"), full_page=True)

    # The full history, field by field.
    page.get_by_role("link", name="Historial completo").click()
    expect(page.get_by_role("heading", name=re.compile("Historial de"))).to_be_visible()
    expect(page.locator(".history-table")).to_contain_text("Teléfono: 999 111 222 → 988 777 666")
    expect(page.locator(".history-table")).to_contain_text("Lucía Flores")
    page.screenshot(path=SCREENSHOTS.format("historial"), full_page=True)


def test_a_long_timeline_loads_the_next_notes_when_scrolled_to(signed_in):
    from customers.models import CustomerNote

    page = signed_in
    customer = services.create_customer(
        actor=None, data={"kind": "persona", "document_type": "1", "first_names": "Ana", "last_names": "Ruiz"}
    )
    CustomerNote.objects.bulk_create(
        CustomerNote(customer=customer, kind="manual", text=f"Nota {i}") for i in range(70)
    )
    page.goto(f"/clientes/{customer.pk}/?tab=notas")
    notes = page.locator("#timeline .note")
    expect(notes).to_have_count(30)
    page.locator(".timeline-more").scroll_into_view_if_needed()
    expect(notes).to_have_count(60)
    page.locator(".timeline-more").scroll_into_view_if_needed()
    expect(notes).to_have_count(71)
    expect(page.locator(".timeline-more")).to_have_count(0)


def test_deactivate_two_ticked_customers_from_the_list(signed_in):
    page = signed_in
    names = []
    for first in ("Beatriz", "Carlos", "Dora"):
        customer = services.create_customer(
            actor=None, data={"kind": "persona", "document_type": "1", "first_names": first, "last_names": "Quispe"}
        )
        names.append(customer.name)
    page.goto("/clientes/")
    page.get_by_label(f"Seleccionar {names[0]}").check()
    page.get_by_label(f"Seleccionar {names[2]}").check()
    page.screenshot(path=SCREENSHOTS.format("seleccionados"), full_page=True)
    page.get_by_role("button", name="Desactivar seleccionados").click()
    expect(page.get_by_text("2 clientes desactivados.")).to_be_visible()
    expect(page.get_by_role("link", name=names[1], exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=names[0], exact=True)).to_have_count(0)  # the list shows active ones
