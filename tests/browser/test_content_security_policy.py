"""Every page works under the Content-Security-Policy (config.middleware.SecurityHeaders):
Chromium reports no violation on any page, and what runs through scripts still works — the
menus (Bootstrap), the tabs, the cascading ubigeo selects and the search (htmx), the notes
form (htmx), the confirmation of the bulk Eliminar (static/js/app.js). Screenshots in /tmp.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import make_address, make_company
from tests.roles import PASSWORD, user_with_role

pytestmark = pytest.mark.browser

SHOTS = "/tmp/clientes-csp-{}.png"  # noqa: S108  (where people look for them)


def watch_violations(page) -> list[str]:
    """Every CSP violation the browser reports, from the console and from the page's events."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return violations


def sign_in(page, username: str) -> None:
    page.goto("/ingresar/")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page).to_have_url(re.compile(r"/clientes/$"))
    # htmx binds the search box when the document is ready: typing before that is not searched.
    page.wait_for_load_state()


def test_every_page_runs_under_the_policy(page, reference_data):
    violations = watch_violations(page)
    user_with_role("Administrador", username="admin.csp", is_staff=True, first_name="Ana", last_name="Quispe")
    customer = make_company(business_name="Gloria S.A.")
    make_address(customer=customer)
    make_company(business_name="Backus S.A.A.")

    page.goto("/ingresar/")
    page.screenshot(path=SHOTS.format("login"), full_page=True)
    sign_in(page, "admin.csp")

    # The list: the search answers through htmx, the bulk Eliminar asks first.
    page.get_by_role("searchbox").first.fill("gloria")
    expect(page.locator("#results")).not_to_contain_text("Backus")
    page.screenshot(path=SHOTS.format("list"), full_page=True)

    # The summary and its tabs.
    page.goto(f"/clientes/{customer.pk}/")
    expect(page.get_by_role("heading", name="Gloria S.A.")).to_be_visible()
    page.get_by_role("tab", name=re.compile("Notas")).click()
    page.locator("#note-text").fill("Llamó para pedir catálogo")
    page.get_by_role("button", name="Agregar nota").click()
    expect(page.get_by_text("Llamó para pedir catálogo")).to_be_visible()
    page.screenshot(path=SHOTS.format("summary"), full_page=True)

    # The customer form: the department select fills the provinces through htmx.
    page.goto("/clientes/nuevo/")
    page.locator("#id_address_department").select_option("15")
    expect(page.locator("#id_address_province option[value='1501']")).to_have_count(1)
    page.screenshot(path=SHOTS.format("form"), full_page=True)

    # The other pages people open.
    for url in (
        f"/clientes/{customer.pk}/editar/",
        f"/clientes/{customer.pk}/historial/",
        f"/clientes/{customer.pk}/eliminar/",
        "/clientes/papelera/",
        "/configuracion/",
        "/atributos/",
        "/admin/",
        "/admin/customers/customer/",
        f"/admin/customers/customer/{customer.pk}/change/",
        "/admin/auth/user/add/",
    ):
        response = page.goto(url)
        assert response.status == 200, url
        assert "script-src 'self'" in response.headers["content-security-policy"], url
    page.screenshot(path=SHOTS.format("admin"), full_page=True)

    assert violations == []


def test_the_bulk_eliminar_still_asks_first(page, reference_data):
    user_with_role("Administrador", username="admin.bulk")
    make_company(business_name="Gloria S.A.")
    sign_in(page, "admin.bulk")
    page.locator("input[name='ids']").first.check()
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer)
    page.get_by_role("button", name="Eliminar 1 cliente").click()  # the count in the label
    assert asked == ["¿Enviar el cliente marcado a la Papelera?"]
    expect(page).to_have_url(re.compile(r"/clientes/$"))  # dismissed: nothing was sent
