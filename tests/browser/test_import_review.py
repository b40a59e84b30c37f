"""The preview in a real browser says what the import will change in each customer before
Importar is pressed, and which customers it creates, a page at a time."""

import pytest
from playwright.sync_api import expect

from customers import import_review
from tests.browser.conftest import sign_in
from tests.customers.test_import import HEADERS, company, xlsx
from tests.factories import make_company

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/clientes-{}.png"  # noqa: S108


def test_the_preview_shows_what_changes_in_each_customer(page, reference_data, tmp_path, monkeypatch):
    monkeypatch.setattr(import_review, "PAGE_SIZE", 2)
    gloria = make_company(business_name="Gloria S.A.", business_line="Lácteos", phone="+5114707170")
    others = [make_company(business_line="Lácteos") for _ in range(2)]
    rows = [[*company(ruc=gloria.document_number, name="Gloria S.A.", Giro="Bebidas"), "987654321"]]
    rows += [[*company(ruc=c.document_number, name=c.business_name, Giro="Ferretería"), ""] for c in others]
    rows += [[*company(name="Nueva Andina S.A.C."), "912345678"]]
    path = tmp_path / "clientes.xlsx"
    path.write_bytes(xlsx(rows, [*HEADERS, "Teléfonos"]))

    page = sign_in(page, "Administrador", username="admin-revisa")
    page.get_by_role("link", name="Importar", exact=True).click()
    page.get_by_label("Archivo .xlsx, .ods, .xls o .csv").set_input_files(str(path))
    page.get_by_role("button", name="Revisar archivo").click()
    expect(page.locator("#import-status")).to_have_text("Vista previa lista")

    updates = page.locator("#import-updates")
    expect(updates.get_by_role("heading")).to_have_text("Clientes que se actualizarán 3")
    first = updates.get_by_role("row").filter(has_text="Gloria S.A.")
    expect(first).to_contain_text("Giro: Lácteos → Bebidas")
    expect(first).to_contain_text("Teléfono: (01) 470 7170 → 987 654 321")
    expect(first.get_by_role("link", name="Gloria S.A.")).to_have_attribute("href", f"/clientes/{gloria.pk}/")
    creates = page.locator("#import-creates")
    expect(creates).to_contain_text("Nueva Andina S.A.C.")
    expect(creates).to_contain_text("912 345 678")
    page.screenshot(path=SCREENSHOTS.format("vista-previa-cambios"), full_page=True)

    # The third update is on the next page; the list of creations stays where it was.
    expect(updates).not_to_contain_text(others[1].name)
    updates.get_by_role("link", name="Siguientes").click()
    expect(page.locator("#import-updates")).to_contain_text(others[1].name)
    expect(page.locator("#import-updates")).to_contain_text("Giro: Lácteos → Ferretería")
    expect(page.locator("#import-updates")).to_contain_text("Cliente 3 de 3")
    expect(page.locator("#import-creates")).to_contain_text("Nueva Andina S.A.C.")
    page.locator("#import-updates").screenshot(path=SCREENSHOTS.format("vista-previa-cambios-pagina-2"))
