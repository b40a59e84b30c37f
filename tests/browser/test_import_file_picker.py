"""The import page's file input in Spanish, whatever the browser's language: «Elegir archivo»,
«Ningún archivo elegido», then the chosen file's name — by mouse and by keyboard, with its focus
ring, its size check and its error shown — and an .ods from LibreOffice uploaded through it. And
the list's Más opciones, which offers no download of a list that matches nothing."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import ImportJob
from tests.browser.conftest import sign_in
from tests.customers.test_import import HEADERS, person
from tests.customers.test_import_ods import ods
from tests.factories import make_company

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/clientes-{}.png"  # noqa: S108  (where CI and people look for them)
LABEL = "Archivo .xlsx, .ods, .xls o .csv"


def _open_import(page):
    page = sign_in(page, "Administrador", username="admin-elige")
    page.goto("/clientes/importar/")
    page.wait_for_load_state()
    return page


def _choose_ods(page, path) -> None:
    """An .ods of one customer, chosen as a person does: «Elegir archivo», then the chooser."""
    path.write_bytes(ods({"Clientes": [HEADERS, person(first="Rosa", last="Quispe")]}))
    with page.expect_file_chooser() as chooser:
        page.get_by_text("Elegir archivo").click()
    chooser.value.set_files(str(path))


def test_the_file_input_speaks_spanish_and_an_ods_chosen_with_it_uploads(page, reference_data, settings, tmp_path):
    settings.IMPORT_INLINE_MAX_BYTES = 1 << 20  # previewed in the request
    page = _open_import(page)
    face = page.locator(".file-picker-face")
    expect(face).to_have_text("Elegir archivo Ningún archivo elegido", use_inner_text=True)
    expect(face).to_be_visible()
    # The browser's own input (English in an English Chromium) takes no room on the page.
    box = page.get_by_label(LABEL).bounding_box()
    assert box["width"] <= 1 and box["height"] <= 1

    _choose_ods(page, tmp_path / "clientes de LibreOffice.ods")
    expect(page.locator("#archivo-nombre")).to_have_text("clientes de LibreOffice.ods")
    page.screenshot(path=SCREENSHOTS.format("importar-archivo-elegido"))

    page.get_by_role("button", name="Revisar archivo").click()
    expect(page.locator("#import-status")).to_have_text("Vista previa lista")
    expect(page.locator("#import-counts")).to_contain_text("1")
    assert ImportJob.objects.get().file_name == "clientes de LibreOffice.ods"


def test_the_file_input_is_reached_and_opened_by_keyboard_with_a_focus_ring(page):
    page = _open_import(page)
    # A listener from the start turns Chromium's file chooser interception on well before the
    # key is pressed: turned on only by expect_file_chooser, it raced the key (once in CI, the
    # dialog opened unintercepted and no event came).
    page.on("filechooser", lambda chooser: None)
    page.get_by_role("link", name="Descargar plantilla (.xlsx)").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label(LABEL)).to_be_focused()
    # Bootstrap's focus ring of a .form-control, on the face the input is hidden behind.
    expect(page.locator(".file-picker-face")).to_have_css("box-shadow", re.compile(r"rgba\(13, 110, 253, 0\.25\)"))
    page.screenshot(path=SCREENSHOTS.format("importar-archivo-foco"))
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    assert not chooser.value.is_multiple()


def test_a_file_over_the_limit_is_named_and_refused_before_it_travels(page, settings, tmp_path):
    settings.IMPORT_MAX_BYTES = 1_048_576
    page = _open_import(page)
    big = tmp_path / "grande.xlsx"
    big.write_bytes(b"x" * 1_500_000)
    page.get_by_label(LABEL).set_input_files(str(big))
    expect(page.locator("#archivo-nombre")).to_have_text("grande.xlsx")
    expect(page.locator("#archivo-error-local")).to_have_text(
        "El archivo pesa 1.5 MB; el máximo es 1 MB. Divídalo en varios archivos."
    )
    expect(page.get_by_label(LABEL)).to_have_class("file-picker-input visually-hidden is-invalid")
    expect(page.locator(".file-picker-face")).to_have_css("border-color", "rgb(220, 53, 69)")  # Bootstrap's red
    expect(page.get_by_role("button", name="Revisar archivo")).to_be_disabled()
    page.screenshot(path=SCREENSHOTS.format("importar-archivo-grande"))


def test_sending_no_file_shows_the_error_under_the_spanish_input(page):
    page = _open_import(page)
    page.get_by_role("button", name="Revisar archivo").click()
    expect(page.locator("#archivo-error")).to_have_text(
        "Elija el archivo que quiere importar (.xlsx, .ods, .xls o .csv)."
    )
    expect(page.locator("#archivo-nombre")).to_have_text("Ningún archivo elegido")


def test_more_options_of_a_list_that_matches_nothing_offers_no_download(page, reference_data):
    make_company(business_name="Gloria S.A.")
    page = sign_in(page, "Ventas", username="ventas-descarga")
    page.goto("/clientes/?q=zzzz")
    page.get_by_role("button", name="Más opciones", exact=True).click()
    expect(page.get_by_text("No hay clientes que descargar con esta búsqueda.")).to_be_visible()
    expect(page.get_by_role("link", name="Descargar CSV")).to_have_count(0)
    expect(page.locator("#export-csv")).to_have_attribute("aria-disabled", "true")
    page.screenshot(path=SCREENSHOTS.format("lista-vacia-sin-descarga"))


def test_the_admins_import_form_speaks_spanish_too_and_still_imports(page, reference_data, tmp_path):
    page = sign_in(page, "Administrador", username="admin-del-admin")
    page.goto("/admin/customers/customer/import/")
    face = page.locator(".file-picker-face")
    expect(face).to_have_text("Elegir archivo Ningún archivo elegido", use_inner_text=True)
    _choose_ods(page, tmp_path / "clientes.ods")
    expect(page.locator("[data-file-name-for=id_import_file]")).to_have_text("clientes.ods")
    page.screenshot(path=SCREENSHOTS.format("admin-importar-archivo-elegido"))
    page.get_by_role("button", name="Enviar").click()
    expect(page.get_by_role("button", name="Confirmar importación")).to_be_visible()
