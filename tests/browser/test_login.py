"""Signing in and out through a real browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.roles import PASSWORD, user_with_role

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/clientes-login.png"  # noqa: S108  (where CI and people look for it)


def test_sign_in_see_the_layout_and_sign_out(page):
    user_with_role("Administrador", username="admin.ana", first_name="Ana", last_name="Quispe")

    # An anonymous visitor is sent to the login page, which brings them back afterwards.
    page.goto("/clientes/")
    expect(page).to_have_url(re.compile(r"/ingresar/\?next=/clientes/$"))
    expect(page.get_by_role("heading", name="Ingresar a Clientes")).to_be_visible()

    page.get_by_label("Usuario").fill("admin.ana")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()

    expect(page).to_have_url(re.compile(r"/clientes/$"))
    expect(page.locator("html")).to_have_attribute("lang", "es-PE")
    navbar = page.get_by_role("navigation", name="Navegación principal")
    expect(navbar.get_by_role("link", name="Clientes", exact=True).first).to_be_visible()
    expect(page.get_by_role("heading", name="Clientes", level=1)).to_be_visible()
    expect(page.get_by_text("Todavía no hay clientes.")).to_be_visible()

    # The user menu (Bootstrap's dropdown: its JavaScript was served) shows the role.
    menu = navbar.get_by_role("button", name="Ana Quispe")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_text("Administrador", exact=True)).to_be_visible()
    sign_out = page.get_by_role("button", name="Cerrar sesión")
    expect(sign_out).to_be_visible()
    page.screenshot(path=SCREENSHOT, full_page=True)

    sign_out.click()

    expect(page).to_have_url(re.compile(r"/ingresar/$"))
    expect(page.get_by_role("heading", name="Ingresar a Clientes")).to_be_visible()
    page.goto("/clientes/")
    expect(page).to_have_url(re.compile(r"/ingresar/\?next=/clientes/$"))


def test_a_wrong_password_shows_the_spanish_error(page):
    user_with_role("Consulta", username="beto")
    page.goto("/ingresar/")
    page.get_by_label("Usuario").fill("beto")
    page.get_by_label("Contraseña").fill("no-es-la-clave")
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("alert")).to_contain_text("Usuario o contraseña incorrectos")
