"""The commercial side of a customer in a real browser: Condiciones de venta and cupo, a
factura with a partial payment, Ver crédito and the aging, Bloquear crédito with its note,
the refused Eliminar, and the list filtered by "bloqueado"."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from credit.reference import seed_lists
from tests.browser.conftest import sign_in
from tests.factories import make_company

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/clientes-{}.png"  # noqa: S108


@pytest.fixture
def customer(reference_data):
    seed_lists()  # live_server tests flush what the data migration wrote
    make_company(business_name="Otra Empresa S.A.C.")
    return make_company(business_name="Ferretería Quispe S.A.C.")


def test_credit_journey(page, customer):
    sign_in(page, "Administrador", username="carla", first_name="Carla", last_name="Ríos")
    page.goto(f"/clientes/{customer.pk}/?tab=condiciones")

    # Condiciones de venta: forma de pago and cupo, in the side panel.
    pane = page.locator("#pane-condiciones")
    pane.get_by_role("button", name="Editar condiciones y cupo").click()
    panel = page.locator("#side-panel")
    panel.get_by_label("Forma de pago").select_option(label="Crédito 30 días")
    # «5.000»: five thousand or five? Asked at the field, what was typed kept; «5.000,00» is read.
    cupo = panel.get_by_label("Cupo de crédito (S/)")
    cupo.fill("5.000")
    panel.get_by_role("button", name="Guardar").click()
    expect(panel.locator("#id_credit_limit-error")).to_contain_text("escriba 5,000.00 si son miles o 5.00 si no")
    expect(cupo).to_have_value("5.000")
    cupo.fill("5.000,00")
    panel.get_by_role("button", name="Guardar").click()
    expect(panel).to_be_hidden()
    expect(pane.locator('[data-figure="cupo"]')).to_have_text("S/ 5,000.00")
    expect(pane.locator('[data-figure="forma"]')).to_have_text("Crédito 30 días")

    # A factura issued 40 days ago, due 10 days ago, and a partial payment.
    page.get_by_role("tab", name="Comprobantes").click()
    documents = page.locator("#pane-comprobantes")
    documents.get_by_role("button", name="+ Registrar comprobante").click()
    today = timezone.localdate()
    panel.get_by_label("Número").fill("123")
    panel.get_by_label("Emisión (dd/mm/aaaa)").fill((today - timedelta(days=40)).strftime("%d/%m/%Y"))
    panel.get_by_label("Vencimiento").fill((today - timedelta(days=10)).strftime("%d/%m/%Y"))
    panel.get_by_label("Total").fill("1,200.00")
    panel.get_by_role("button", name="Registrar").click()
    expect(panel).to_be_hidden()
    row = documents.locator('tr[data-document="F001-00000123"]')
    expect(row).to_contain_text("S/ 1,200.00")
    row.get_by_role("button", name="Pago").click()
    panel.get_by_label("Monto (PEN)").fill("200")
    panel.get_by_role("button", name="Registrar pago").click()
    expect(panel).to_be_hidden()
    expect(row).to_contain_text("Vencido")
    expect(row.locator("td").nth(5)).to_have_text("S/ 1,000.00")
    expect(documents.locator('[data-bucket="d1_30"]')).to_have_text("S/ 1,000.00")
    page.screenshot(path=SCREENSHOTS.format("comprobantes"), full_page=True)

    # Ver crédito from the list's row menu: a side panel, no page change.
    page.goto("/clientes/")
    list_row = page.locator("#results tbody tr", has_text="Ferretería Quispe")
    expect(list_row).to_contain_text("S/ 4,000.00")  # the Crédito disponible column
    list_row.get_by_role("button", name=re.compile("Más opciones")).click()
    list_row.get_by_role("button", name="Ver crédito").click()
    expect(panel.locator('[data-figure="disponible"]')).to_have_text("S/ 4,000.00")
    expect(panel.locator('[data-figure="vencido"]')).to_have_text("S/ 1,000.00")
    expect(panel.locator('[data-figure="dias"]')).to_have_text("10 días")
    expect(page).to_have_url(re.compile(r"/clientes/$"))
    page.screenshot(path=SCREENSHOTS.format("ver-credito"))

    # Bloquear crédito from the panel: the reason is required.
    panel.get_by_role("button", name="Bloquear crédito").click()
    expect(panel.get_by_label("Motivo")).to_be_visible()
    panel.get_by_role("button", name="Bloquear crédito").click()
    expect(panel.get_by_text("Escriba el motivo del bloqueo.")).to_be_visible()
    panel.get_by_label("Motivo").fill("Cheque devuelto")
    panel.get_by_role("button", name="Bloquear crédito").click()
    expect(panel).to_be_hidden()
    expect(list_row).to_contain_text("Bloqueado")
    # The row reloaded with its new state: its menu now offers Desbloquear crédito.
    list_row.get_by_role("button", name=re.compile("Más opciones")).click()
    expect(list_row.get_by_role("button", name="Desbloquear crédito")).to_be_visible()
    expect(list_row.get_by_role("button", name="Bloquear crédito", exact=True)).to_be_hidden()
    page.screenshot(path=SCREENSHOTS.format("menu-fila-credito"))
    page.keyboard.press("Escape")

    # The list filtered by "bloqueado".
    page.get_by_label("Crédito").select_option(label="Bloqueado")
    expect(page).to_have_url(re.compile(r"credito=bloqueado"))
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results tbody tr")).to_contain_text("Ferretería Quispe")

    # The note on the summary, and the refused Eliminar.
    page.goto(f"/clientes/{customer.pk}/?tab=notas")
    expect(page.locator("#pane-notas")).to_contain_text("Crédito bloqueado. Motivo: Cheque devuelto")
    page.goto(f"/clientes/{customer.pk}/eliminar/")
    expect(page.get_by_role("alert")).to_contain_text("tiene 1 comprobante por cobrar (S/ 1,000.00)")
    expect(page.get_by_role("button", name="Eliminar")).to_have_count(0)


def test_the_list_with_the_credit_column_fits_1280_pixels(page, customer):
    from credit import services
    from tests.credit.factories import make_document

    # The widest cell: a negative crédito disponible, on a long name with the Bloqueado badge.
    services.update_sales_conditions(actor=None, customer=customer, data={"credit_limit": "100"})
    make_document(customer, total="5708.57")
    services.block_credit(actor=None, customer=customer, reason="Mora")
    sign_in(page, "Administrador", username="ana", first_name="Ana", last_name="Quispe")
    row = page.locator("tr", has_text="Ferretería Quispe")
    expect(row.locator("[data-available]")).to_have_text("-S/ 5,608.57")
    page.screenshot(path=SCREENSHOTS.format("lista-1280"), full_page=True)
    # Nothing needs a horizontal scroll: not the page, not the table's own wrapper, and the
    # row menu's ⋮ is inside the window.
    widths = page.evaluate(
        """() => {
            const table = document.querySelector('table');
            const wrapper = table.closest('.table-responsive') || table.parentElement;
            return [document.documentElement.scrollWidth, window.innerWidth, wrapper.scrollWidth, wrapper.clientWidth];
        }"""
    )
    assert widths[0] <= widths[1], widths
    assert widths[2] <= widths[3], widths
    box = row.locator("button:visible").last.bounding_box()  # the ⋮ of the row menu
    assert box["x"] + box["width"] <= 1280, box
